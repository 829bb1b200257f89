//! The Sandbox data center's Box, run inside this process: box-sandbox,
//! handed to core, which does not build the sandbox itself.

use std::path::PathBuf;
use std::sync::Arc;

use box_sandbox::{Sandbox, SandboxConfig};
use connector_core::app::{EmbeddedBox, RunningBox, StartError};

pub fn embedded_sandbox() -> Arc<dyn EmbeddedBox> {
    Arc::new(|state_path: PathBuf| async move {
        let config = SandboxConfig {
            state_path: Some(state_path),
            ..SandboxConfig::default()
        };
        let server = Sandbox::start(config).await?;
        Ok::<_, StartError>(RunningBox::new(server.base_url(), server))
    })
}
