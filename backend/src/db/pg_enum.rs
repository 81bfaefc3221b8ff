//! `pg_enum!` maps a PostgreSQL enum type to a Rust enum once: diesel reads and writes it,
//! serde and OpenAPI name its values the same way the database does.

/// Declares a Rust enum backed by a PostgreSQL enum type.
#[macro_export]
macro_rules! pg_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $sql:path {
            $( $(#[$vmeta:meta])* $variant:ident => $text:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
                 utoipa::ToSchema, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = $sql)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored in the database and sent in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("'{other}' is not one of: {}",
                        [$($text),+].join(", "))),
                }
            }
        }

        impl diesel::serialize::ToSql<$sql, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>)
                -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<$sql, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = std::str::from_utf8(bytes.as_bytes())?;
                text.parse::<$name>().map_err(Into::into)
            }
        }
    };
}
