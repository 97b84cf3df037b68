//! Prometheus text exposition (format 0.0.4) for `GET /metrics` and `GET /v1/metrics`: a
//! writer that groups samples into one family per name, each with its `# HELP` and `# TYPE`
//! lines, and escapes label values and help text as the format requires, so no handler
//! pastes strings together. The tenant's figures ([`TenantMetrics`]) and the deployment's
//! ([`DeploymentMetrics`]) are rendered here too.

/// The response's `Content-Type`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A family's `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

struct Family {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, u64)>,
}

/// The families of one scrape, in the order first declared.
#[derive(Default)]
pub struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares `name` (once: a second declaration adds nothing) and returns its index.
    fn family(&mut self, name: &'static str, kind: Kind, help: &'static str) -> usize {
        if let Some(at) = self.families.iter().position(|f| f.name == name) {
            return at;
        }
        self.families.push(Family {
            name,
            kind,
            help,
            samples: Vec::new(),
        });
        self.families.len() - 1
    }

    /// One sample of `name` with `labels`. A family named again collects the sample under
    /// its first `# HELP`/`# TYPE`: the format allows one block per name.
    pub fn sample(
        &mut self,
        name: &'static str,
        kind: Kind,
        help: &'static str,
        labels: &[(&'static str, &str)],
        value: u64,
    ) -> &mut Self {
        let at = self.family(name, kind, help);
        let labels = labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
        if let Some(family) = self.families.get_mut(at) {
            family.samples.push((labels, value));
        }
        self
    }

    /// The exposition text, ending with a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for family in &self.families {
            out.push_str("# HELP ");
            out.push_str(family.name);
            out.push(' ');
            out.push_str(&escape_help(family.help));
            out.push_str("\n# TYPE ");
            out.push_str(family.name);
            out.push(' ');
            out.push_str(family.kind.as_str());
            out.push('\n');
            for (labels, value) in &family.samples {
                out.push_str(family.name);
                if !labels.is_empty() {
                    out.push('{');
                    for (i, (key, text)) in labels.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(key);
                        out.push_str("=\"");
                        out.push_str(&escape_label(text));
                        out.push('"');
                    }
                    out.push('}');
                }
                out.push(' ');
                out.push_str(&value.to_string());
                out.push('\n');
            }
        }
        out
    }
}

/// A label value: backslash, double quote and line feed escaped.
pub fn escape_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Help text: backslash and line feed escaped.
pub fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// `GET /metrics`: the deployment's figures, none about any tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentMetrics {
    pub version: String,
    pub d1_ready: bool,
    pub objects_ready: bool,
}

impl DeploymentMetrics {
    pub fn render(&self) -> String {
        let mut e = Exposition::new();
        e.sample(
            "latchkey_build_info",
            Kind::Gauge,
            "The running build; always 1.",
            &[("version", &self.version)],
            1,
        )
        .sample(
            "latchkey_up",
            Kind::Gauge,
            "The Worker answers; always 1.",
            &[],
            1,
        )
        .sample(
            "latchkey_ready",
            Kind::Gauge,
            "1 when the dependency answers the readiness check (GET /readyz), else 0.",
            &[("check", "d1")],
            u64::from(self.d1_ready),
        )
        .sample(
            "latchkey_ready",
            Kind::Gauge,
            "1 when the dependency answers the readiness check (GET /readyz), else 0.",
            &[("check", "durable_objects")],
            u64::from(self.objects_ready),
        );
        e.render()
    }
}

/// A count under one label value (an agent status, a broker outcome, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub label: String,
    pub value: u64,
}

/// Requests counted in the current rate window for one route group and status class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCount {
    pub group: String,
    pub class: String,
    pub value: u64,
}

/// `GET /v1/metrics`: one tenant's figures, read by the tenant object in one step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantMetrics {
    /// Live secrets (not deleted).
    pub secrets: u64,
    /// Kept versions of live secrets that still hold a value.
    pub versions: u64,
    /// Fields of live secrets.
    pub fields: u64,
    /// Agents by derived status (`online`, `degraded`, `offline`, `revoked`).
    pub agents: Vec<Count>,
    /// Token requests awaiting approval.
    pub pending_approvals: u64,
    /// Access requests (read, patch) awaiting a decision.
    pub pending_requests: u64,
    /// Commands in the current rate window, by route group and status class.
    pub window_requests: Vec<WindowCount>,
    /// Requests admitted in the current rate window, and the window's limit.
    pub rate_used: u64,
    pub rate_limit: u64,
    /// Brokered secret uses by outcome (`completed`, `timeout`, …), one per secret sent.
    pub broker_uses: Vec<Count>,
    /// Events in the audit chain.
    pub audit_events: u64,
}

impl TenantMetrics {
    pub fn render(&self) -> String {
        let mut e = Exposition::new();
        let g = Kind::Gauge;
        e.sample("latchkey_secrets", g, "Live secrets.", &[], self.secrets)
            .sample(
                "latchkey_secret_versions",
                g,
                "Kept versions of live secrets that still hold a value.",
                &[],
                self.versions,
            )
            .sample(
                "latchkey_secret_fields",
                g,
                "Fields of live secrets.",
                &[],
                self.fields,
            );
        for status in ["online", "degraded", "offline", "revoked"] {
            let value = self
                .agents
                .iter()
                .find(|c| c.label == status)
                .map_or(0, |c| c.value);
            e.sample(
                "latchkey_agents",
                g,
                "Agents by status, derived at the scrape.",
                &[("status", status)],
                value,
            );
        }
        e.sample(
            "latchkey_pending_approvals",
            g,
            "Token requests awaiting approval.",
            &[],
            self.pending_approvals,
        )
        .sample(
            "latchkey_pending_requests",
            g,
            "Access requests (read, patch) awaiting a decision.",
            &[],
            self.pending_requests,
        );
        for count in &self.window_requests {
            e.sample(
                "latchkey_window_requests",
                g,
                "Commands answered by the tenant object in the current rate window, by route group and status class.",
                &[("group", &count.group), ("class", &count.class)],
                count.value,
            );
        }
        e.sample(
            "latchkey_rate_limit_used",
            g,
            "Requests admitted in the current rate window.",
            &[],
            self.rate_used,
        )
        .sample(
            "latchkey_rate_limit",
            g,
            "Requests allowed per rate window.",
            &[],
            self.rate_limit,
        );
        for count in &self.broker_uses {
            e.sample(
                "latchkey_broker_uses_total",
                Kind::Counter,
                "Secrets sent by the broker, by the call's outcome.",
                &[("outcome", &count.label)],
                count.value,
            );
        }
        e.sample(
            "latchkey_audit_events",
            g,
            "Events in the audit chain.",
            &[],
            self.audit_events,
        );
        e.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_label_with_quote_backslash_newline_escapes_each() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn escape_help_with_newline_and_backslash_escapes_them_not_quotes() {
        assert_eq!(escape_help("x\\y\n\"z\""), "x\\\\y\\n\"z\"");
    }

    #[test]
    fn exposition_with_repeated_name_writes_one_family() {
        let mut e = Exposition::new();
        e.sample("m", Kind::Gauge, "help", &[("k", "a")], 1)
            .sample("other", Kind::Counter, "c", &[], 2)
            .sample("m", Kind::Gauge, "help", &[("k", "b")], 3);
        assert_eq!(
            e.render(),
            "# HELP m help\n# TYPE m gauge\nm{k=\"a\"} 1\nm{k=\"b\"} 3\n\
             # HELP other c\n# TYPE other counter\nother 2\n"
        );
    }

    #[test]
    fn exposition_label_value_with_quote_is_escaped() {
        let mut e = Exposition::new();
        e.sample("m", Kind::Gauge, "h", &[("v", "1\"2")], 1);
        assert!(e.render().contains("m{v=\"1\\\"2\"} 1\n"));
    }

    #[test]
    fn deployment_metrics_render_names_version_and_checks() {
        let text = DeploymentMetrics {
            version: "0.1.0".into(),
            d1_ready: true,
            objects_ready: false,
        }
        .render();
        assert!(text.contains("latchkey_build_info{version=\"0.1.0\"} 1\n"));
        assert!(text.contains("latchkey_up 1\n"));
        assert!(text.contains("latchkey_ready{check=\"d1\"} 1\n"));
        assert!(text.contains("latchkey_ready{check=\"durable_objects\"} 0\n"));
        assert_eq!(text.matches("# TYPE latchkey_ready").count(), 1);
    }

    #[test]
    fn tenant_metrics_render_lists_every_agent_status_and_counts() {
        let text = TenantMetrics {
            secrets: 3,
            agents: vec![Count {
                label: "online".into(),
                value: 2,
            }],
            broker_uses: vec![Count {
                label: "completed".into(),
                value: 4,
            }],
            window_requests: vec![WindowCount {
                group: "secrets".into(),
                class: "2xx".into(),
                value: 5,
            }],
            rate_used: 7,
            rate_limit: 100,
            ..TenantMetrics::default()
        }
        .render();
        assert!(text.contains("latchkey_secrets 3\n"));
        assert!(text.contains("latchkey_agents{status=\"online\"} 2\n"));
        assert!(text.contains("latchkey_agents{status=\"revoked\"} 0\n"));
        assert!(text.contains("latchkey_broker_uses_total{outcome=\"completed\"} 4\n"));
        assert!(text.contains("latchkey_window_requests{group=\"secrets\",class=\"2xx\"} 5\n"));
        assert!(text.contains("latchkey_rate_limit_used 7\n"));
        assert!(text.contains("latchkey_rate_limit 100\n"));
        assert!(text.ends_with("latchkey_audit_events 0\n"));
    }
}
