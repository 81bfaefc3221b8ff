//! Files that ship inside the program rather than in the store: the demo data's sample
//! insurance certificate. Their keys start `builtin/`, outside the uploads prefix, so the
//! sweep never lists them and every instance (and every test database cloned from a
//! seeded template) can serve them without anything written to the store first.

/// The demo insurance certificate's key.
pub const DEMO_CERTIFICATE: &str = "builtin/demo-insurance-certificate.pdf";

/// A one-page PDF that says it is a sample.
const DEMO_CERTIFICATE_PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 75 >> stream
BT /F1 18 Tf 72 760 Td (Sample certificate of insurance - demo data) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// The bytes of a built-in file, if `key` names one.
pub fn bytes(key: &str) -> Option<&'static [u8]> {
    (key == DEMO_CERTIFICATE).then_some(DEMO_CERTIFICATE_PDF)
}
