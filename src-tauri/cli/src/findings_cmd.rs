//! `findings` and `export`: the open findings from the database (offline),
//! printed or written to a file, masked samples only.

use connector_core::app::App;
use connector_core::error::UserError;
use connector_core::ipc::findings::ExportFormat;

use crate::args::{ExportFormatArg, FindingsArgs};
use crate::exit;
use crate::output::Output;

pub async fn findings(
    app: &App,
    filter: FindingsArgs,
    limit: u32,
    out: &Output,
) -> Result<u8, UserError> {
    let page = app.findings(&filter.filter(), limit, 0).await?;
    out.findings(&page);
    Ok(exit::DONE)
}

pub async fn export(
    app: &App,
    format: ExportFormatArg,
    path: &std::path::Path,
    filter: FindingsArgs,
    out: &Output,
) -> Result<u8, UserError> {
    let format = match format {
        ExportFormatArg::Csv => ExportFormat::Csv,
        ExportFormatArg::Json => ExportFormat::Json,
    };
    let report = app.export_findings(&filter.filter(), format, path).await?;
    out.exported(&report, "findings");
    Ok(exit::DONE)
}
