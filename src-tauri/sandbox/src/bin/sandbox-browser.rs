//! `sandbox-browser URL [--deny] [--login admin|coadmin|user|EMAIL]`: signs in on the
//! sandbox's authorize page and follows the redirect to the app's loopback callback.
//! The app runs it via BOX_CONNECTOR_BROWSER with the URL as the last argument, so the
//! choices can also come from SANDBOX_BROWSER_LOGIN / SANDBOX_BROWSER_DECISION=deny.

use box_sandbox::browser::{sign_in, Decision};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut url = None;
    let mut decision =
        match std::env::var("SANDBOX_BROWSER_DECISION").map(|d| d.to_ascii_lowercase()) {
            Ok(d) if d == "deny" => Decision::Deny,
            _ => Decision::Allow,
        };
    let mut login = std::env::var("SANDBOX_BROWSER_LOGIN").unwrap_or_else(|_| "admin".into());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--deny" => decision = Decision::Deny,
            "--allow" => decision = Decision::Allow,
            "--login" => {
                login = args
                    .next()
                    .unwrap_or_else(|| usage("--login needs a value"))
            }
            s if s.starts_with("--login=") => login = s["--login=".len()..].to_string(),
            "-h" | "--help" => usage(""),
            s if s.starts_with("--") => usage(&format!("unknown option {s}")),
            _ => url = Some(a),
        }
    }
    let url = url.unwrap_or_else(|| usage("missing URL"));
    match sign_in(&url, decision, &login).await {
        Ok(body) => println!("{body}"),
        Err(e) => {
            eprintln!("sandbox-browser: {e:#}");
            std::process::exit(1);
        }
    }
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("sandbox-browser: {msg}");
    }
    eprintln!("usage: sandbox-browser URL [--deny] [--login admin|coadmin|user|EMAIL]");
    std::process::exit(2);
}
