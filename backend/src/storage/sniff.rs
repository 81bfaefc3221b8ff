//! What kind of file an upload is, found by reading it (never from its name or the
//! browser's claim): PDF, Word and Excel (OOXML), OpenDocument text, PNG, JPEG, and plain
//! text or CSV.
//!
//! Word, Excel and OpenDocument files are ZIP archives, and a ZIP can carry anything. So the
//! whole central directory is read (never the contents, except OpenDocument's one-line
//! `mimetype`): every entry must be a part such a document has, none may be a program or a
//! macro, none encrypted, and the sizes the archive declares must stay within bounds, so a
//! small upload cannot claim to expand to gigabytes.

use std::io::Cursor;

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most a document's parts may declare in all, uncompressed.
const MAX_EXPANDED_BYTES: u64 = 100 * 1024 * 1024;
/// The largest ratio of declared to compressed size for any part (XML compresses about
/// 10 to 1; bombs claim thousands).
const MAX_RATIO: u64 = 200;
/// The most parts a document may have.
const MAX_ENTRIES: usize = 5_000;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ODT: &str = "application/vnd.oasis.opendocument.text";

const ACCEPTED: &str = "upload a PDF, Word, Excel, OpenDocument, PNG, JPEG, text or CSV file";

/// The accepted type of `bytes`, or why it is refused (written for the uploader).
pub fn sniff(bytes: &[u8], name: &str) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("The file is empty".into());
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err("The file must be 10 MB or smaller".into());
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office_document(bytes);
    }
    if let Some(kind) = infer::get(bytes) {
        return match kind.mime_type() {
            t @ ("application/pdf" | "image/png" | "image/jpeg") => Ok(match t {
                "application/pdf" => "application/pdf",
                "image/png" => "image/png",
                _ => "image/jpeg",
            }),
            _ => Err(format!(
                "Files of type {} are not accepted: {ACCEPTED}",
                kind.extension()
            )),
        };
    }
    let lower = name.to_ascii_lowercase();
    let texty = std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0);
    match (texty, lower.ends_with(".csv")) {
        (true, true) => Ok("text/csv"),
        (true, false) => Ok("text/plain"),
        _ => Err(format!(
            "The file's type could not be recognised: {ACCEPTED}"
        )),
    }
}

/// Which document a ZIP is, after checking every entry of its central directory.
fn office_document(bytes: &[u8]) -> Result<&'static str, String> {
    let refuse = |why: &str| {
        Err(format!(
            "This file cannot be accepted: {why}. {}",
            capitalised(ACCEPTED)
        ))
    };
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return refuse("it is a damaged or unusual ZIP archive");
    };
    if archive.len() > MAX_ENTRIES {
        return refuse("it has too many parts for a document");
    }
    let mut names = Vec::with_capacity(archive.len());
    let mut expanded: u64 = 0;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else {
            return refuse("part of it cannot be read");
        };
        let Ok(name) = entry.name().map(|n| n.to_string()) else {
            return refuse("a part has a name that cannot be read");
        };
        if entry.encrypted() {
            return refuse("it is password-protected");
        }
        let size = entry.size();
        expanded = expanded.saturating_add(size);
        if expanded > MAX_EXPANDED_BYTES
            || (size > 1024 * 1024 && size / entry.compressed_size().max(1) > MAX_RATIO)
        {
            return refuse("it claims to expand to far more than a document would");
        }
        if name.starts_with('/') || name.contains('\\') || name.split('/').any(|p| p == "..") {
            return refuse("a part has a path outside the document");
        }
        names.push(name);
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    let (kind, allowed): (&'static str, &[&str]) =
        if has("[Content_Types].xml") && has("word/document.xml") {
            (
                DOCX,
                &[
                    "[Content_Types].xml",
                    "_rels/",
                    "docProps/",
                    "word/",
                    "customXml/",
                ],
            )
        } else if has("[Content_Types].xml") && has("xl/workbook.xml") {
            (
                XLSX,
                &[
                    "[Content_Types].xml",
                    "_rels/",
                    "docProps/",
                    "xl/",
                    "customXml/",
                ],
            )
        } else if has("mimetype") && opendocument_text(&mut archive) {
            (
                ODT,
                &[
                    "mimetype",
                    "META-INF/",
                    "content.xml",
                    "styles.xml",
                    "meta.xml",
                    "settings.xml",
                    "manifest.rdf",
                    "Pictures/",
                    "Thumbnails/",
                    "Configurations2/",
                ],
            )
        } else {
            return refuse("it is a ZIP archive, not a Word, Excel or OpenDocument text document");
        };
    for name in &names {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("vbaproject.bin") || lower.ends_with(".bin") && lower.contains("vba") {
            return refuse("it contains macros");
        }
        if let Some(ext) = lower.rsplit_once('.').map(|(_, e)| e)
            && PROGRAMS.contains(&ext)
        {
            return refuse(&format!("it contains a program ({name})"));
        }
        if !allowed.iter().any(|a| {
            if a.ends_with('/') {
                name.starts_with(a)
            } else {
                name == a
            }
        }) {
            return refuse(&format!(
                "it contains {name}, which is not part of such a document"
            ));
        }
    }
    Ok(kind)
}

/// Extensions of files that run, refused inside documents whatever folder they are in.
const PROGRAMS: &[&str] = &[
    "exe", "dll", "com", "bat", "cmd", "scr", "msi", "msp", "js", "jse", "vbs", "vbe", "wsf",
    "wsh", "ps1", "psm1", "jar", "sh", "app", "lnk", "hta", "cpl", "reg", "pif", "elf", "so",
    "dylib",
];

/// OpenDocument's `mimetype` part (stored uncompressed, first) names the kind.
fn opendocument_text(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> bool {
    use std::io::Read;
    let Ok(mut part) = archive.by_name("mimetype") else {
        return false;
    };
    if part.size() > 200 {
        return false;
    }
    let mut text = String::new();
    part.read_to_string(&mut text).is_ok() && text.trim() == ODT
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZIP with these (name, declared size) entries, all stored (uncompressed).
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let crc = crc32(data);
            let local = |sig: &[u8], out: &mut Vec<u8>| {
                out.extend_from_slice(sig);
            };
            local(b"PK\x03\x04", &mut out);
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let start = out.len() as u32;
        let count = entries.len() as u16;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    const XML: &[u8] = b"<?xml version=\"1.0\"?><x/>";

    #[test]
    fn types_come_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "x.exe"), Ok("application/pdf"));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "policy.pdf"),
            Ok("image/png")
        );
        assert_eq!(sniff(b"a,b\n1,2\n", "rates.csv"), Ok("text/csv"));
        assert_eq!(sniff(b"plain words", "notes"), Ok("text/plain"));
        // A Windows program renamed to .pdf is refused.
        assert!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", "policy.pdf").is_err());
        assert!(sniff(b"\0\x01\x02binary", "x.txt").is_err());
        assert!(sniff(b"", "x.txt").is_err());
        assert!(sniff(&vec![b'a'; MAX_FILE_BYTES + 1], "big.txt").is_err());
    }

    #[test]
    fn office_documents_are_recognised_by_their_parts() {
        let docx = zip(&[
            ("[Content_Types].xml", XML),
            ("_rels/.rels", XML),
            ("word/document.xml", XML),
            ("docProps/core.xml", XML),
        ]);
        assert_eq!(sniff(&docx, "bid.zip"), Ok(DOCX));
        let xlsx = zip(&[("[Content_Types].xml", XML), ("xl/workbook.xml", XML)]);
        assert_eq!(sniff(&xlsx, "rates.docx"), Ok(XLSX));
        let odt = zip(&[
            ("mimetype", ODT.as_bytes()),
            ("content.xml", XML),
            ("META-INF/manifest.xml", XML),
        ]);
        assert_eq!(sniff(&odt, "policy.odt"), Ok(ODT));
    }

    #[test]
    fn a_document_hiding_anything_else_is_refused() {
        // The first entry looks right; a later one is a program.
        let with_exe = zip(&[
            ("[Content_Types].xml", XML),
            ("word/document.xml", XML),
            ("word/media/setup.exe", b"MZ"),
        ]);
        let why = sniff(&with_exe, "bid.docx").unwrap_err();
        assert!(why.contains("program"), "{why}");
        let with_stray = zip(&[
            ("[Content_Types].xml", XML),
            ("word/document.xml", XML),
            ("payload/readme.txt", b"hi"),
        ]);
        assert!(
            sniff(&with_stray, "bid.docx")
                .unwrap_err()
                .contains("payload/readme.txt")
        );
        let with_macros = zip(&[
            ("[Content_Types].xml", XML),
            ("word/document.xml", XML),
            ("word/vbaProject.bin", b"x"),
        ]);
        assert!(
            sniff(&with_macros, "bid.docx")
                .unwrap_err()
                .contains("macros")
        );
        let escaping = zip(&[
            ("[Content_Types].xml", XML),
            ("word/document.xml", XML),
            ("word/../../evil.xml", XML),
        ]);
        assert!(sniff(&escaping, "bid.docx").is_err());
        // Any other ZIP archive is refused, whatever it is called.
        let plain = zip(&[("payload/run.exe", b"MZ")]);
        assert!(sniff(&plain, "policy.docx").is_err());
        assert!(sniff(b"PK\x03\x04 not really a zip", "x.docx").is_err());
    }

    #[test]
    fn a_document_claiming_to_expand_to_gigabytes_is_refused() {
        let mut bomb = zip(&[("[Content_Types].xml", XML), ("word/document.xml", XML)]);
        // Rewrite the second entry's declared size in the central directory to 4 GB - 1.
        let central = bomb.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bomb[central + 24..central + 28].copy_from_slice(&u32::MAX.to_le_bytes());
        let why = sniff(&bomb, "bid.docx").unwrap_err();
        assert!(why.contains("expand"), "{why}");
    }
}
