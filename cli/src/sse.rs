//! Server-sent events, line by line (the subset `GET /v1/events` uses: `id`, `event`, `data`,
//! comments and `retry`).

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    pub id: Option<String>,
    pub name: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct Parser {
    id: Option<String>,
    name: Option<String>,
    data: Vec<String>,
}

impl Parser {
    /// Feeds one line (its line ending removed or not); a blank line ends an event, which
    /// is returned when it had a name or data.
    pub fn line(&mut self, line: &str) -> Option<Event> {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            let event = Event {
                id: self.id.take(),
                name: self.name.take(),
                data: std::mem::take(&mut self.data).join("\n"),
            };
            return (event.name.is_some() || !event.data.is_empty()).then_some(event);
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => self.id = Some(value.to_owned()),
            "event" => self.name = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(text: &str) -> Vec<Event> {
        let mut parser = Parser::default();
        text.split_inclusive('\n')
            .filter_map(|line| parser.line(line))
            .collect()
    }

    #[test]
    fn events_comments_and_retry() {
        let events = feed(
            "retry: 1000\n\n: keepalive\n\nid: 7\nevent: vault.accessed\ndata: {\"a\":1}\n\n\
             event: end\ndata: {\"reason\":\"x\"}\r\n\r\n",
        );
        assert_eq!(
            events,
            vec![
                Event {
                    id: Some("7".into()),
                    name: Some("vault.accessed".into()),
                    data: "{\"a\":1}".into()
                },
                Event {
                    id: None,
                    name: Some("end".into()),
                    data: "{\"reason\":\"x\"}".into()
                },
            ]
        );
    }

    #[test]
    fn data_lines_join() {
        let events = feed("data: a\ndata:b\n\n");
        assert_eq!(events[0].data, "a\nb");
    }
}
