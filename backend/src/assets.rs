//! The files `build.rs` embeds in the binary: page templates, email templates and static
//! files (GOV.UK Frontend styles built into `frontend/static`), so one file is all a
//! deployment needs. Templates and emails read them from here; nothing else does.

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The service's name as shown in the header, titles and emails.
pub const SERVICE_NAME: &str = "Care commissioning";

/// An embedded static file by its path under `frontend/static`.
pub fn static_file(path: &str) -> Option<&'static [u8]> {
    STATIC_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}
