//! Validation of organisation and user details. Pure functions: each returns the cleaned
//! value or field errors written for the person filling in the form.

use super::model::{CqcRating, NewOrganisation};
pub use crate::auth::password_rules::password;
use crate::auth::{OrganisationKind, Role};
use crate::http::problem::FieldError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An email address, trimmed; compared case-insensitively by the database.
pub fn email(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    let valid = value.len() <= 254
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if value.is_empty() {
        errors.push(FieldError::new(field, "Enter an email address"));
    } else if !valid {
        errors.push(FieldError::new(
            field,
            "Enter an email address in the correct format, like name@example.com",
        ));
    }
    value.to_string()
}

/// A required line of text up to `max` characters.
pub fn text(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, format!("Enter {label}")));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{} must be {max} characters or fewer", capitalise(label)),
        ));
    } else if value.chars().any(|c| c.is_control()) {
        errors.push(FieldError::new(
            field,
            format!("{} contains characters we cannot accept", capitalise(label)),
        ));
    }
    value.to_string()
}

/// An optional line of text up to `max` characters.
pub fn optional_text(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    if value.trim().is_empty() {
        String::new()
    } else {
        text(field, label, value, max, errors)
    }
}

fn capitalise(label: &str) -> String {
    let label = label
        .strip_prefix("a ")
        .or_else(|| label.strip_prefix("an "))
        .or_else(|| label.strip_prefix("the "))
        .or_else(|| label.strip_prefix("your "))
        .unwrap_or(label);
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A Companies House number: 8 characters, digits or a two-letter prefix (e.g. `SC123456`).
/// Shorter all-digit numbers are padded with leading zeros, as Companies House does.
pub fn companies_house_number(
    field: &str,
    value: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value: String = value
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if value.is_empty() {
        return None;
    }
    let value = if value.chars().all(|c| c.is_ascii_digit()) && value.len() < 8 {
        format!("{value:0>8}")
    } else {
        value
    };
    let valid = value.len() == 8
        && value.chars().all(|c| c.is_ascii_alphanumeric())
        && value[2..].chars().all(|c| c.is_ascii_digit());
    if !valid {
        errors.push(FieldError::new(
            field,
            "Enter a Companies House number of 8 characters, like 01234567 or SC123456",
        ));
    }
    Some(value)
}

/// A registered charity number: 6 to 8 digits, optionally with a `-N` subsidiary suffix.
pub fn charity_number(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let (main, suffix) = match value.split_once('-') {
        Some((m, s)) => (m, Some(s)),
        None => (value, None),
    };
    let valid = (6..=8).contains(&main.len())
        && main.chars().all(|c| c.is_ascii_digit())
        && suffix
            .is_none_or(|s| (1..=2).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()));
    if !valid {
        errors.push(FieldError::new(
            field,
            "Enter a charity number of 6 to 8 digits, like 1123456",
        ));
    }
    Some(value.to_string())
}

/// A UK postcode, normalised to upper case with one space before the inward code.
pub fn postcode(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.is_empty() {
        errors.push(FieldError::new(field, "Enter a postcode"));
        return compact;
    }
    let valid = (5..=7).contains(&compact.len())
        && compact.chars().all(|c| c.is_ascii_alphanumeric())
        && compact.starts_with(|c: char| c.is_ascii_alphabetic())
        && {
            let inward = &compact[compact.len() - 3..];
            inward.starts_with(|c: char| c.is_ascii_digit())
                && inward[1..].chars().all(|c| c.is_ascii_alphabetic())
        };
    if !valid {
        errors.push(FieldError::new(
            field,
            "Enter a real postcode, like WR5 2NP",
        ));
        return compact;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    format!("{outward} {inward}")
}

/// A CQC location ID: `1-` followed by 9 to 11 digits.
pub fn cqc_location_id(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    let valid = value.strip_prefix("1-").is_some_and(|digits| {
        (9..=11).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    });
    if !valid {
        errors.push(FieldError::new(
            field,
            "Enter a CQC location ID, like 1-123456789",
        ));
    }
    value.to_string()
}

/// Organisation details as sent by a form or the API.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct OrganisationInput {
    pub legal_name: String,
    pub companies_house_number: String,
    pub charity_number: String,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    /// Ids of the districts the organisation serves.
    pub district_ids: Vec<Uuid>,
    pub cqc_locations: Vec<CqcLocationInput>,
}

/// A CQC location as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct CqcLocationInput {
    pub location_id: String,
    pub name: String,
    pub rating: Option<CqcRating>,
    pub rating_date: Option<NaiveDate>,
}

/// Organisation details that passed validation.
#[derive(Debug, Clone)]
pub struct ValidOrganisation {
    pub organisation: NewOrganisation,
    pub district_ids: Vec<Uuid>,
    pub cqc_locations: Vec<CqcLocationInput>,
}

/// Checks organisation details. A provider needs a Companies House or charity number.
pub fn organisation(
    kind: OrganisationKind,
    input: &OrganisationInput,
) -> Result<ValidOrganisation, Vec<FieldError>> {
    let mut errors = Vec::new();
    let legal_name = text(
        "legal_name",
        "the organisation's legal name",
        &input.legal_name,
        200,
        &mut errors,
    );
    let companies_house_number = companies_house_number(
        "companies_house_number",
        &input.companies_house_number,
        &mut errors,
    );
    let charity_number = charity_number("charity_number", &input.charity_number, &mut errors);
    if kind == OrganisationKind::Provider
        && companies_house_number.is_none()
        && charity_number.is_none()
    {
        errors.push(FieldError::new(
            "companies_house_number",
            "Enter a Companies House number or a charity number",
        ));
    }
    let address_line1 = text(
        "address_line1",
        "the first line of the address",
        &input.address_line1,
        200,
        &mut errors,
    );
    let address_line2 = optional_text(
        "address_line2",
        "the second line of the address",
        &input.address_line2,
        200,
        &mut errors,
    );
    let town = text("town", "the town or city", &input.town, 100, &mut errors);
    let postcode = postcode("postcode", &input.postcode, &mut errors);
    if input.district_ids.len() > 100 {
        errors.push(FieldError::new(
            "district_ids",
            "Choose 100 districts or fewer",
        ));
    }
    if input.cqc_locations.len() > 200 {
        errors.push(FieldError::new(
            "cqc_locations",
            "Enter 200 CQC locations or fewer",
        ));
    }
    let mut cqc_locations = Vec::new();
    for (i, location) in input.cqc_locations.iter().enumerate() {
        let location_id = cqc_location_id(
            &format!("cqc_locations[{i}].location_id"),
            &location.location_id,
            &mut errors,
        );
        let name = text(
            &format!("cqc_locations[{i}].name"),
            "the location's name",
            &location.name,
            200,
            &mut errors,
        );
        if let Some(date) = location.rating_date
            && date > chrono::Utc::now().date_naive()
        {
            {
                errors.push(FieldError::new(
                    format!("cqc_locations[{i}].rating_date"),
                    "Rating date must be today or in the past",
                ));
            }
        }
        cqc_locations.push(CqcLocationInput {
            location_id,
            name,
            rating: location.rating,
            rating_date: location.rating_date,
        });
    }
    let mut district_ids = input.district_ids.clone();
    district_ids.sort();
    district_ids.dedup();
    if errors.is_empty() {
        Ok(ValidOrganisation {
            organisation: NewOrganisation {
                kind,
                legal_name,
                companies_house_number,
                charity_number,
                address_line1,
                address_line2,
                town,
                postcode,
            },
            district_ids,
            cqc_locations,
        })
    } else {
        Err(errors)
    }
}

/// Checks that a role fits the organisation the user is to belong to.
pub fn role_fits(role: Role, kind: OrganisationKind) -> Result<(), FieldError> {
    if role.organisation_kind() == kind {
        Ok(())
    } else if kind == OrganisationKind::Provider {
        Err(FieldError::new(
            "role",
            "Users of a provider organisation must have the provider role",
        ))
    } else {
        Err(FieldError::new(
            "role",
            "The provider role is only for users of a provider organisation",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs<T>(f: impl FnOnce(&mut Vec<FieldError>) -> T) -> (T, Vec<FieldError>) {
        let mut e = Vec::new();
        let v = f(&mut e);
        (v, e)
    }

    #[test]
    fn email_is_trimmed_and_checked() {
        assert_eq!(
            errs(|e| email("email", "  A@b.example ", e)),
            ("A@b.example".into(), vec![])
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.example",
            "a@.example",
            "a b@c.example",
            "a@b.example.",
        ] {
            assert_eq!(
                errs(|e| email("email", bad, e)).1.len(),
                1,
                "{bad:?} should fail"
            );
        }
    }

    #[test]
    fn companies_house_numbers_are_normalised() {
        assert_eq!(
            errs(|e| companies_house_number("c", "1234567", e))
                .0
                .as_deref(),
            Some("01234567")
        );
        assert_eq!(
            errs(|e| companies_house_number("c", "sc 123456", e)),
            (Some("SC123456".into()), vec![])
        );
        assert_eq!(errs(|e| companies_house_number("c", "", e)), (None, vec![]));
        assert_eq!(
            errs(|e| companies_house_number("c", "ABCDEFGH", e)).1.len(),
            1
        );
        assert_eq!(
            errs(|e| companies_house_number("c", "123456789", e))
                .1
                .len(),
            1
        );
    }

    #[test]
    fn charity_numbers_allow_a_subsidiary_suffix() {
        assert!(errs(|e| charity_number("c", "1123456", e)).1.is_empty());
        assert!(errs(|e| charity_number("c", "1123456-1", e)).1.is_empty());
        assert_eq!(errs(|e| charity_number("c", "12-3", e)).1.len(), 1);
    }

    #[test]
    fn postcodes_are_formatted() {
        assert_eq!(
            errs(|e| postcode("p", "wr52np", e)),
            ("WR5 2NP".into(), vec![])
        );
        assert_eq!(
            errs(|e| postcode("p", "SW1A 1AA", e)),
            ("SW1A 1AA".into(), vec![])
        );
        assert_eq!(errs(|e| postcode("p", "12345", e)).1.len(), 1);
        assert_eq!(errs(|e| postcode("p", "", e)).1.len(), 1);
    }

    #[test]
    fn passwords_need_length_and_must_not_be_the_email() {
        assert_eq!(errs(|e| password("p", "short", "a@b.c", e)).1.len(), 1);
        assert_eq!(
            errs(|e| password("p", "a@b.example.com", "A@B.example.com", e))
                .1
                .len(),
            1
        );
        assert!(
            errs(|e| password("p", "correct-horse-demo", "a@b.c", e))
                .1
                .is_empty()
        );
        assert_eq!(
            errs(|e| password("p", &"x".repeat(129), "a@b.c", e))
                .1
                .len(),
            1
        );
    }

    #[test]
    fn cqc_location_ids_have_the_cqc_shape() {
        assert!(
            errs(|e| cqc_location_id("l", "1-123456789", e))
                .1
                .is_empty()
        );
        assert_eq!(errs(|e| cqc_location_id("l", "2-123456789", e)).1.len(), 1);
        assert_eq!(errs(|e| cqc_location_id("l", "1-12", e)).1.len(), 1);
    }

    #[test]
    fn a_provider_needs_a_registration_number() {
        let input = OrganisationInput {
            legal_name: "Care Ltd".into(),
            address_line1: "1 High Street".into(),
            town: "Worcester".into(),
            postcode: "WR1 1AA".into(),
            ..Default::default()
        };
        let errors = organisation(OrganisationKind::Provider, &input).unwrap_err();
        assert_eq!(errors[0].field, "companies_house_number");
        assert!(organisation(OrganisationKind::Council, &input).is_ok());
    }

    #[test]
    fn roles_must_fit_the_organisation() {
        assert!(role_fits(Role::Provider, OrganisationKind::Provider).is_ok());
        assert!(role_fits(Role::Admin, OrganisationKind::Council).is_ok());
        assert!(role_fits(Role::Admin, OrganisationKind::Provider).is_err());
        assert!(role_fits(Role::Provider, OrganisationKind::Council).is_err());
    }
}
