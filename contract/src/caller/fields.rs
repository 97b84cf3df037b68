//! `/v1/secrets/{path}/fields`: a secret's named fields.

use crate::rules::{Access, Audit, Cache, Effect, Metering, Releases, Rules};
use latchkey_core::SecretPath;
use latchkey_core::field::{FieldName, FieldRead, FieldStored, FieldValue, Fields, FieldsStored};
use latchkey_core::gate::Flow;
use latchkey_core::scope::SecretAction::{Read, Write};
use serde::{Deserialize, Serialize};

/// Creates the secret (fields only) when there is none.
#[derive(Debug, Serialize, Deserialize)]
pub struct SetField {
    pub path: SecretPath,
    pub field: FieldName,
    pub value: FieldValue,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SetFields {
    pub path: SecretPath,
    pub fields: Fields,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GetField {
    pub path: SecretPath,
    pub field: FieldName,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GetFields {
    pub path: SecretPath,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteField {
    pub path: SecretPath,
    pub field: FieldName,
}

area! {
    pub enum FieldCommand in CallerCommand::Fields {
        SetField => FieldStored,
        SetFields => FieldsStored,
        GetField => FieldRead,
        GetFields => Fields,
        DeleteField => (),
    }
}

impl FieldCommand {
    pub fn rules(&self) -> Rules {
        use Access as A;
        use Audit::{Event, Read as ReadEvent};
        use Cache::Empties;
        use Effect::{Reads, Writes};
        use Metering::Use;
        use Releases::{Nothing, Value};
        match self {
            FieldCommand::SetField(SetField { path, .. })
            | FieldCommand::SetFields(SetFields { path, .. }) => Rules::of(
                A::secret(Flow::Write, Write, path),
                Event("field.set"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
            FieldCommand::GetField(GetField { path, .. })
            | FieldCommand::GetFields(GetFields { path }) => Rules::of(
                A::secret(Flow::Release, Read, path),
                ReadEvent("field.read"),
                Value,
                Empties,
                Use,
                Reads,
            ),
            FieldCommand::DeleteField(c) => Rules::of(
                A::secret(Flow::Metadata, Write, &c.path),
                Event("field.deleted"),
                Nothing,
                Empties,
                Use,
                Writes,
            ),
        }
    }
}
