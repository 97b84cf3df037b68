//! Commands that touch no tenant data and need no credential.

use serde::{Deserialize, Serialize};

/// Readiness: answers without touching tenant data.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ping;

/// The benchmark's baseline (only with `BENCH=true`): one row written, nothing else, no
/// authentication. The platform's own floor for a tenant request.
#[derive(Debug, Serialize, Deserialize)]
pub struct BenchBaseline;

channel! {
    pub enum ProbeCommand {
        Ping => (),
        BenchBaseline => (),
    }
}
