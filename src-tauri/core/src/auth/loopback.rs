//! The one-shot loopback redirect (RFC 8252 §7.3): listen on 127.0.0.1 on an
//! ephemeral port ([::1] if IPv4 loopback is unavailable, never 0.0.0.0),
//! send the admin to the authorize URL, and accept exactly one callback whose
//! `state` matches (compared in constant time). Anything else gets an error
//! page and is ignored, so a forged or stale request cannot end the sign-in.
//! The same gate takes a pasted redirect URL for sessions without a browser.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::{ErrorCode, UserError};
use crate::keychain::Sensitive;

use super::oauth;
pub use super::oauth::SignInRequest;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
const CALLBACK_PATH: &str = "/callback";

/// What the provider sent back with a matching `state`.
enum Verdict {
    Code(String),
    Denied,
    ProviderError(String),
}

/// The callback page's text, decided by the flow once it knows the outcome.
struct Page {
    ok: bool,
    title: String,
    body: String,
}

type Delivery = (Verdict, oneshot::Sender<Page>);

/// Accepts the first callback with the right `state`, once.
struct CallbackGate {
    expected_state: Sensitive<String>,
    deliver: Mutex<Option<oneshot::Sender<Delivery>>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    StateMismatch,
    AlreadyUsed,
    MissingCode,
}

impl Rejection {
    fn message(&self) -> &'static str {
        match self {
            Rejection::StateMismatch => {
                "This sign-in response does not belong to the sign-in Box Connector is waiting for, so it was ignored."
            }
            Rejection::AlreadyUsed => "This sign-in response was already used, so it was ignored.",
            Rejection::MissingCode => "This sign-in response carries no authorization code, so it was ignored.",
        }
    }

    fn to_user_error(&self) -> UserError {
        UserError::new(
            ErrorCode::SignInInvalidCallback,
            self.message(),
            "Paste the full address the browser showed after you clicked Allow (it contains code= and state=), or click Connect again.",
        )
    }
}

impl CallbackGate {
    fn offer(
        &self,
        params: &HashMap<String, String>,
    ) -> Result<oneshot::Receiver<Page>, Rejection> {
        let state = params.get("state").map(String::as_str).unwrap_or("");
        let expected = self.expected_state.expose().as_bytes();
        if !bool::from(state.as_bytes().ct_eq(expected)) {
            return Err(Rejection::StateMismatch);
        }
        let verdict = match (params.get("error"), params.get("code")) {
            (Some(e), _) if e == "access_denied" => Verdict::Denied,
            (Some(e), _) => {
                let desc = params
                    .get("error_description")
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                Verdict::ProviderError(format!("{e}{desc}"))
            }
            (None, Some(code)) if !code.is_empty() => Verdict::Code(code.clone()),
            _ => return Err(Rejection::MissingCode),
        };
        let sender = self
            .deliver
            .lock()
            .expect("gate lock")
            .take()
            .ok_or(Rejection::AlreadyUsed)?;
        let (page_tx, page_rx) = oneshot::channel();
        // The flow may have ended (timeout, cancel) a moment ago.
        sender
            .send((verdict, page_tx))
            .map_err(|_| Rejection::AlreadyUsed)?;
        Ok(page_rx)
    }
}

/// Hands a pasted redirect URL to a waiting sign-in.
#[derive(Clone)]
pub struct RedirectSubmitter {
    gate: Arc<CallbackGate>,
}

impl RedirectSubmitter {
    pub fn submit(&self, redirect_url: &str) -> Result<(), UserError> {
        let url = Url::parse(redirect_url.trim()).map_err(|_| {
            UserError::new(
                ErrorCode::InvalidInput,
                "That is not a web address.",
                "Copy the whole address from the browser's address bar after clicking Allow, then paste it.",
            )
        })?;
        let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
        self.gate
            .offer(&params)
            .map(drop)
            .map_err(|r| r.to_user_error())
    }
}

/// A sign-in that is listening for its callback.
pub struct LoopbackSignIn {
    pub authorize_url: String,
    pub redirect_uri: String,
    pkce_verifier: Option<Sensitive<String>>,
    gate: Arc<CallbackGate>,
    delivered: oneshot::Receiver<Delivery>,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<()>,
}

impl LoopbackSignIn {
    pub async fn start(req: &SignInRequest) -> Result<LoopbackSignIn, UserError> {
        let listener = bind_loopback().await?;
        let addr = listener.local_addr().map_err(listen_error)?;
        let redirect_uri = match addr {
            SocketAddr::V4(a) => format!("http://127.0.0.1:{}{CALLBACK_PATH}", a.port()),
            SocketAddr::V6(a) => format!("http://[::1]:{}{CALLBACK_PATH}", a.port()),
        };
        let authorization = oauth::authorization(req, &redirect_uri)?;

        let (deliver_tx, delivered) = oneshot::channel();
        let gate = Arc::new(CallbackGate {
            expected_state: authorization.state,
            deliver: Mutex::new(Some(deliver_tx)),
        });
        let shutdown = CancellationToken::new();
        // Anything but `GET /callback` (a favicon, a probe, a typo) gets the
        // same kind of page as a refused callback, never an empty 404.
        let app = Router::new()
            .route(CALLBACK_PATH, get(callback).fallback(not_the_callback))
            .fallback(not_the_callback)
            .with_state(gate.clone());
        let stop = shutdown.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
        });
        Ok(LoopbackSignIn {
            authorize_url: authorization.url,
            redirect_uri,
            pkce_verifier: authorization.pkce_verifier,
            gate,
            delivered,
            shutdown,
            server,
        })
    }

    pub fn submitter(&self) -> RedirectSubmitter {
        RedirectSubmitter {
            gate: self.gate.clone(),
        }
    }

    /// Waits for the one valid callback, then runs `exchange` on the code at
    /// once (it lives 30 seconds) and shows its outcome on the callback page.
    /// `on_callback` runs as soon as a valid callback arrives (bring the
    /// window to the front).
    pub async fn finish<T, F, Fut>(
        self,
        timeout: Duration,
        cancel: CancellationToken,
        on_callback: impl FnOnce(),
        exchange: F,
    ) -> Result<T, UserError>
    where
        F: FnOnce(String, String, Option<Sensitive<String>>) -> Fut,
        Fut: std::future::Future<Output = Result<T, UserError>>,
    {
        let LoopbackSignIn {
            redirect_uri,
            pkce_verifier,
            delivered,
            shutdown,
            server,
            gate,
            ..
        } = self;
        let outcome = tokio::select! {
            d = delivered => match d {
                Ok(d) => Ok(d),
                Err(_) => Err(internal("the callback listener stopped")),
            },
            _ = tokio::time::sleep(timeout) => Err(UserError::new(
                ErrorCode::SignInTimedOut,
                format!("Sign-in timed out: Box did not send the admin back within {} minutes.", timeout.as_secs().div_ceil(60)),
                "Click Connect again and finish signing in to Box in the browser. If the browser did not open, use \"Copy sign-in link\".",
            )),
            _ = cancel.cancelled() => Err(UserError::new(
                ErrorCode::SignInCancelled,
                "Sign-in cancelled.",
                "Click Connect when you are ready.",
            )),
        };
        // Late callbacks after a timeout or cancel are refused, not delivered.
        gate.deliver.lock().expect("gate lock").take();

        let result = match outcome {
            Err(e) => Err(e),
            Ok((verdict, page_tx)) => {
                on_callback();
                let (result, page) = match verdict {
                    Verdict::Code(code) => {
                        let r = exchange(code, redirect_uri, pkce_verifier).await;
                        let page = match &r {
                            Ok(_) => Page {
                                ok: true,
                                title: "Connected to Box".into(),
                                body: "Box Connector is signed in. You can close this tab and return to Box Connector.".into(),
                            },
                            Err(e) => Page { ok: false, title: "Sign-in failed".into(), body: format!("{} {}", e.message, e.hint) },
                        };
                        (r, page)
                    }
                    Verdict::Denied => {
                        let e = UserError::new(
                            ErrorCode::SignInDenied,
                            "You clicked Deny in Box's sign-in page, so Box Connector was not given access.",
                            "Click Connect again and choose \"Grant access to Box\" (Allow) when Box asks.",
                        );
                        let page = Page {
                            ok: false,
                            title: "Access denied".into(),
                            body: format!("{} Return to Box Connector.", e.message),
                        };
                        (Err(e), page)
                    }
                    Verdict::ProviderError(detail) => {
                        let e = UserError::new(
                            ErrorCode::BoxApi,
                            format!("Box refused the sign-in: {detail}."),
                            "Check that the app is allowed for your enterprise, then click Connect again.",
                        );
                        let page = Page {
                            ok: false,
                            title: "Sign-in failed".into(),
                            body: format!("{} Return to Box Connector.", e.message),
                        };
                        (Err(e), page)
                    }
                };
                let _ = page_tx.send(page);
                result
            }
        };
        shutdown.cancel();
        // Let the callback page finish sending; never hang on a stuck browser.
        let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
        result
    }
}

async fn bind_loopback() -> Result<TcpListener, UserError> {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await {
        Ok(l) => Ok(l),
        Err(_) => TcpListener::bind((Ipv6Addr::LOCALHOST, 0))
            .await
            .map_err(listen_error),
    }
}

fn listen_error(err: std::io::Error) -> UserError {
    UserError::new(
        ErrorCode::Internal,
        format!("Box Connector could not listen on this computer's loopback address for the sign-in ({err})."),
        "Check that a firewall or security tool allows local connections to 127.0.0.1, then try again.",
    )
}

fn internal(what: &str) -> UserError {
    UserError::new(
        ErrorCode::Internal,
        format!("Sign-in failed: {what}."),
        "Click Connect again.",
    )
}

async fn callback(
    State(gate): State<Arc<CallbackGate>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match gate.offer(&params) {
        Err(rejection) => page(
            StatusCode::BAD_REQUEST,
            &Page {
                ok: false,
                title: "Not accepted".into(),
                body: rejection.message().into(),
            },
        ),
        Ok(page_rx) => match tokio::time::timeout(Duration::from_secs(60), page_rx).await {
            Ok(Ok(p)) => page(
                if p.ok {
                    StatusCode::OK
                } else {
                    StatusCode::BAD_REQUEST
                },
                &p,
            ),
            _ => page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &Page {
                    ok: false,
                    title: "Sign-in failed".into(),
                    body: "Return to Box Connector to see what happened.".into(),
                },
            ),
        },
    }
}

/// Not the sign-in callback: an error page that says so. It neither ends
/// nor disturbs the sign-in that is waiting.
async fn not_the_callback() -> Response {
    page(
        StatusCode::NOT_FOUND,
        &Page {
            ok: false,
            title: "Not the sign-in callback".into(),
            body:
                "This address is not Box Connector's sign-in callback, so the request was ignored. \
                   Finish signing in on Box's page, which sends you back here by itself."
                    .into(),
        },
    )
}

fn page(status: StatusCode, p: &Page) -> Response {
    let colour = if p.ok { "#0a7d32" } else { "#b00020" };
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Box Connector — {title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:36em;margin:4em auto\">\
         <h1 style=\"color:{colour}\">{title}</h1><p>{body}</p>\
         <p>Return to the Box Connector app.</p></body></html>",
        title = escape(&p.title),
        body = escape(&p.body),
    );
    (status, [("cache-control", "no-store")], Html(html)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SignInRequest {
        SignInRequest {
            authorize_url: "https://account.box.com/api/oauth2/authorize".into(),
            client_id: "cid".into(),
            scope: Some("root_readonly".into()),
            pkce: true,
        }
    }

    fn query(url: &str) -> HashMap<String, String> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[tokio::test]
    async fn authorize_url_names_a_loopback_ip_redirect_state_and_pkce() {
        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let q = query(&s.authorize_url);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "cid");
        assert!(
            q["redirect_uri"].starts_with("http://127.0.0.1:"),
            "{}",
            q["redirect_uri"]
        );
        assert!(q["redirect_uri"].ends_with("/callback"));
        assert!(!q["redirect_uri"].contains(":0/"));
        assert!(q["state"].len() >= 32);
        assert_eq!(q["code_challenge_method"], "S256");
        let verifier =
            oauth2::PkceCodeVerifier::new(s.pkce_verifier.as_ref().unwrap().expose().clone());
        assert_eq!(
            q["code_challenge"],
            oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str()
        );
    }

    #[tokio::test]
    async fn wrong_state_is_answered_with_an_error_and_the_flow_keeps_waiting() {
        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let state = query(&s.authorize_url)["state"].clone();
        let base = s.redirect_uri.clone();
        let http = reqwest::Client::new();
        let forged = http
            .get(format!("{base}?code=evil&state=nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 400);
        assert!(forged.text().await.unwrap().contains("ignored"));
        let no_state = http.get(format!("{base}?code=evil")).send().await.unwrap();
        assert_eq!(no_state.status(), 400);
        // A forged Deny must not end the sign-in either.
        let forged_deny = http
            .get(format!("{base}?error=access_denied&state=x"))
            .send()
            .await
            .unwrap();
        assert_eq!(forged_deny.status(), 400);

        let good = format!("{base}?code=real&state={state}");
        let browser = tokio::spawn(async move { reqwest::get(good).await.unwrap() });
        let got = s
            .finish(
                Duration::from_secs(10),
                CancellationToken::new(),
                || {},
                |code, _, _| async move { Ok(code) },
            )
            .await
            .unwrap();
        assert_eq!(got, "real");
        let resp = browser.await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp
            .text()
            .await
            .unwrap()
            .contains("return to Box Connector"));
    }

    #[tokio::test]
    async fn unknown_paths_and_methods_get_the_error_page_and_the_flow_keeps_waiting() {
        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let state = query(&s.authorize_url)["state"].clone();
        let base = s.redirect_uri.trim_end_matches(CALLBACK_PATH).to_string();
        let http = reqwest::Client::new();
        for resp in [
            http.get(format!("{base}/favicon.ico"))
                .send()
                .await
                .unwrap(),
            http.get(format!("{base}/?code=x&state={state}"))
                .send()
                .await
                .unwrap(),
            http.post(format!("{base}/callback?code=x&state={state}"))
                .send()
                .await
                .unwrap(),
        ] {
            assert!(resp.status().is_client_error(), "{}", resp.status());
            assert!(resp
                .headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/html"));
            let body = resp.text().await.unwrap();
            assert!(
                body.contains("not Box Connector's sign-in callback"),
                "{body}"
            );
            assert!(body.contains("Return to the Box Connector app"), "{body}");
        }
        // None of them consumed the one valid callback.
        let good = format!("{}?code=real&state={state}", s.redirect_uri);
        let browser = tokio::spawn(async move { reqwest::get(good).await.unwrap() });
        let got = s
            .finish(
                Duration::from_secs(10),
                CancellationToken::new(),
                || {},
                |code, _, _| async move { Ok(code) },
            )
            .await
            .unwrap();
        assert_eq!(got, "real");
        assert_eq!(browser.await.unwrap().status(), 200);
    }

    #[test]
    fn the_default_sign_in_timeout_is_five_minutes() {
        assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(300));
    }

    #[tokio::test]
    async fn a_pasted_redirect_is_accepted_once() {
        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let state = query(&s.authorize_url)["state"].clone();
        let submit = s.submitter();
        let url = format!("http://127.0.0.1:1/callback?code=c1&state={state}");
        submit.submit(&url).unwrap();
        let err = submit.submit(&url).unwrap_err();
        assert_eq!(err.code, ErrorCode::SignInInvalidCallback);
        assert!(err.message.contains("already used"));
        let got = s
            .finish(
                Duration::from_secs(5),
                CancellationToken::new(),
                || {},
                |code, _, _| async move { Ok(code) },
            )
            .await
            .unwrap();
        assert_eq!(got, "c1");
    }

    #[tokio::test]
    async fn deny_timeout_and_cancel_end_with_their_own_errors() {
        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let state = query(&s.authorize_url)["state"].clone();
        s.submitter()
            .submit(&format!(
                "http://x/callback?error=access_denied&state={state}"
            ))
            .unwrap();
        let never =
            |_: String, _: String, _: Option<Sensitive<String>>| async { Ok::<(), UserError>(()) };
        let e = s
            .finish(
                Duration::from_secs(5),
                CancellationToken::new(),
                || {},
                never,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::SignInDenied);
        assert!(e.message.contains("You clicked Deny"));

        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let e = s
            .finish(
                Duration::from_millis(50),
                CancellationToken::new(),
                || {},
                never,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::SignInTimedOut);

        let s = LoopbackSignIn::start(&request()).await.unwrap();
        let cancel = CancellationToken::new();
        cancel.cancel();
        let e = s
            .finish(Duration::from_secs(5), cancel, || {}, never)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::SignInCancelled);
    }
}
