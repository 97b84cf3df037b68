//! A secret value's size limit, checked wherever a value comes in: a secret's main value, a
//! field, a wrap, a patch request, a Vault KV write. A layer below the secret and field
//! modules, so both (and the broker, which sizes placeholders by it) can use it.

use crate::error::ApiError;

pub const MAX_VALUE_BYTES: usize = 64 * 1024;

pub fn check_value(field: &str, value: &str) -> Result<(), ApiError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(ApiError::validation(
            field,
            format!(
                "'{field}' is {} bytes; the limit is {MAX_VALUE_BYTES} bytes (64 KiB)",
                value.len()
            ),
        ));
    }
    Ok(())
}
