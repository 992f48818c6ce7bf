//! Form input: raw fields, per-field errors, amounts in major units, and the
//! idempotency keys that make a double-submitted confirmation harmless.

use std::collections::{BTreeMap, HashMap};

use coffer_app::AppError;
use coffer_core::money::{parse_major_to_minor, Currency};
use rand::RngCore;
use serde::Serialize;

/// A submitted form, field by field.
pub type FormData = HashMap<String, String>;

/// A field's trimmed value, `""` when absent.
pub fn field<'a>(form: &'a FormData, name: &str) -> &'a str {
    form.get(name).map(|v| v.trim()).unwrap_or("")
}

/// A field's value, `None` when absent or blank.
pub fn optional<'a>(form: &'a FormData, name: &str) -> Option<&'a str> {
    Some(field(form, name)).filter(|v| !v.is_empty())
}

/// Errors by form field; `_form` holds those that belong to no one field.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Errors(pub BTreeMap<String, String>);

impl Errors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts a use case's error next to the field it names. API field names map to
    /// form fields by dropping `_minor` (`amount_minor` → `amount`) unless `rename`
    /// says otherwise; fields the form does not show go to `_form`.
    pub fn from_app(e: &AppError, shown: &[&str], rename: &[(&str, &str)]) -> Errors {
        let mut errors = Errors::default();
        let api_field = e.field.unwrap_or("_form");
        let renamed = rename.iter().find(|(from, _)| *from == api_field).map(|(_, to)| *to);
        let name = renamed.unwrap_or_else(|| api_field.strip_suffix("_minor").unwrap_or(api_field));
        let name = if shown.contains(&name) { name } else { "_form" };
        // Validation messages start with the API field name; the label already says it.
        let prefix = format!("{api_field}: ");
        let message = e.message.strip_prefix(&prefix).unwrap_or(&e.message);
        errors.add(name, capitalize(message));
        errors
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An amount typed in major units ("100", "99.50"), checked for being positive.
pub fn amount(form: &FormData, name: &str, currency: Currency, errors: &mut Errors) -> Option<i64> {
    let raw = field(form, name);
    if raw.is_empty() {
        errors.add(name, "Enter an amount");
        return None;
    }
    match parse_major_to_minor(&raw.replace(',', ""), currency) {
        Ok(minor) if minor > 0 => Some(minor),
        Ok(_) => {
            errors.add(name, "Enter an amount greater than zero");
            None
        }
        Err(e) => {
            errors.add(name, capitalize(&e.to_string()));
            None
        }
    }
}

/// A fresh idempotency key for a confirmation form: submitting it twice does the
/// thing once.
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
