//! A scripted browser for tests: GET the authorize page, submit the consent form,
//! follow the redirect to the loopback callback and return the callback page's body.

use anyhow::{anyhow, bail, Context};
use reqwest::redirect::Policy;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// One `<input type="hidden">` or `<option>` attribute value, unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i..];
        let Some(end) = after.find('>') else { break };
        out.push(&after[..=end]);
        rest = &after[end + 1..];
    }
    out
}

/// Visible text of a page, for error messages.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Pick the account option for "admin" | "coadmin" | "user" | "personal" | an email.
fn choose_login(html: &str, login: &str) -> anyhow::Result<String> {
    let options: Vec<(String, String)> = tags(html, "option")
        .into_iter()
        .filter_map(|t| Some((attr(t, "value")?, attr(t, "data-role").unwrap_or_default())))
        .collect();
    let want = login.trim().to_ascii_lowercase();
    let found = match want.as_str() {
        "admin" | "coadmin" | "user" | "personal" => options.iter().find(|(_, role)| *role == want),
        "co-admin" => options.iter().find(|(_, role)| role == "coadmin"),
        _ => options.iter().find(|(v, _)| v.eq_ignore_ascii_case(&want)),
    };
    found
        .map(|(v, _)| v.clone())
        .ok_or_else(|| anyhow!("the sign-in page offers no account matching {login:?}"))
}

async fn follow_to_callback(
    client: &reqwest::Client,
    resp: reqwest::Response,
) -> anyhow::Result<String> {
    let status = resp.status();
    if !status.is_redirection() {
        let body = resp.text().await.unwrap_or_default();
        bail!(
            "expected a redirect to the callback, got HTTP {status}: {}",
            text_of(&body)
        );
    }
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("redirect without Location")?;
    let url = Url::parse(location).context("redirect Location is not an absolute URL")?;
    // The callback URL carries the code: keep it out of error messages.
    let target = format!("{}{}", url.origin().ascii_serialization(), url.path());
    let cb = client.get(url).send().await.map_err(|e| {
        anyhow::Error::from(e.without_url()).context(format!("calling back {target}"))
    })?;
    cb.text().await.map_err(|e| {
        anyhow::Error::from(e.without_url())
            .context(format!("reading the callback page of {target}"))
    })
}

/// Drive the sandbox's sign-in page like a person would.
pub async fn sign_in(
    authorize_url: &str,
    decision: Decision,
    login: &str,
) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()?;
    let page_url = Url::parse(authorize_url).context("authorize URL")?;
    let resp = client
        .get(page_url.clone())
        .send()
        .await
        .context("opening the authorize page")?;
    if resp.status().is_redirection() {
        // Auto-approve: the sandbox redirected at once.
        return follow_to_callback(&client, resp).await;
    }
    let status = resp.status();
    let html = resp.text().await?;
    let Some(form) = tags(&html, "form").into_iter().next() else {
        bail!(
            "the authorize page has no form (HTTP {status}): {}",
            text_of(&html)
        );
    };
    let action = attr(form, "action").unwrap_or_else(|| page_url.path().to_string());
    let action = page_url.join(&action)?;
    let mut fields: Vec<(String, String)> = tags(&html, "input")
        .into_iter()
        .filter(|t| attr(t, "type").as_deref() == Some("hidden"))
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect();
    fields.push(("login".into(), choose_login(&html, login)?));
    fields.push((
        "decision".into(),
        if decision == Decision::Allow {
            "allow"
        } else {
            "deny"
        }
        .into(),
    ));
    let resp = client
        .post(action)
        .form(&fields)
        .send()
        .await
        .context("submitting the consent form")?;
    follow_to_callback(&client, resp).await
}
