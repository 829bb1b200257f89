//! IPC commands. Each parses its arguments, calls one function of
//! `connector_core::app::App` and maps the result: a fresh `Snapshot` on
//! success, `{code, message, hint}` (`UserError`) on failure.

use connector_core::app::App;
use connector_core::ipc::{CoreEvent, CustomSettings, Snapshot};
use connector_core::keychain::Sensitive;
use connector_core::UserError;
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::broadcast::error::RecvError;

/// The core facade, or why it could not open (shown by the UI at start).
pub struct Core {
    app: Result<App, UserError>,
    /// The task forwarding core events to the current page's Channel
    /// (replaced when the page reloads and subscribes again).
    forwarder: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Core {
    pub fn new(app: Result<App, UserError>) -> Self {
        Core {
            app,
            forwarder: std::sync::Mutex::new(None),
        }
    }

    fn app(&self) -> Result<&App, UserError> {
        self.app.as_ref().map_err(Clone::clone)
    }

    /// On quit: core's shutdown; a sign-in that could not be saved is logged.
    pub async fn shutdown(&self) {
        if let Ok(app) = &self.app {
            if let Some(unsaved) = app.shutdown().await {
                log::error!("{} {}", unsaved.message, unsaved.hint);
            }
        }
    }
}

type Reply = Result<Snapshot, UserError>;

/// The one start-up command: subscribes `events` to core's pushed events and
/// returns the state to start from.
#[tauri::command]
pub async fn app_start(core: State<'_, Core>, events: Channel<CoreEvent>) -> Reply {
    let app = core.app()?.clone();
    let mut rx = app.subscribe();
    let forward_app = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(event) => event,
                // Fell behind: the whole state replaces what was missed.
                Err(RecvError::Lagged(_)) => CoreEvent::SnapshotChanged {
                    snapshot: Box::new(forward_app.snapshot().await),
                },
                Err(RecvError::Closed) => break,
            };
            if events.send(event).is_err() {
                break;
            }
        }
    });
    if let Some(old) = core.forwarder.lock().expect("forwarder lock").replace(task) {
        old.abort();
    }
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn select_datacenter(core: State<'_, Core>, id: String) -> Reply {
    let app = core.app()?;
    app.select_datacenter(&id).await?;
    Ok(app.snapshot().await)
}

/// Asked once per data center; goes straight to the keychain.
#[tauri::command]
pub async fn set_client_secret(
    core: State<'_, Core>,
    datacenter_id: String,
    secret: String,
) -> Reply {
    let app = core.app()?;
    app.set_client_secret(&datacenter_id, Sensitive::new(secret))
        .await?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn save_custom_settings(core: State<'_, Core>, settings: CustomSettings) -> Reply {
    let app = core.app()?;
    app.set_custom_settings(settings).await?;
    Ok(app.snapshot().await)
}

/// Signs in to the selected data center; resolves when the sign-in ends.
/// Progress (link to copy, window to the front) arrives as events meanwhile.
#[tauri::command]
pub async fn connect(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.connect().await?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn cancel_connect(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.cancel_connect();
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn submit_redirect_url(core: State<'_, Core>, url: String) -> Reply {
    let app = core.app()?;
    app.submit_redirect_url(&url)?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn run_api_test(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.run_api_test().await?;
    Ok(app.snapshot().await)
}

/// Revokes at Box and forgets the tokens; a revoke Box could not confirm
/// comes back in the snapshot's `connection.error`.
#[tauri::command]
pub async fn disconnect(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.disconnect().await?;
    Ok(app.snapshot().await)
}

#[tauri::command]
pub async fn move_database_aside(core: State<'_, Core>) -> Reply {
    let app = core.app()?;
    app.move_database_aside().await?;
    Ok(app.snapshot().await)
}
