//! `node --json`: the events the node logs (a request seen, answered with a claim, a claim
//! checked, a game opened or over, a settlement, …) as JSON lines on stdout, one object per
//! event: `{"event": message, "level", "target", …fields}`. They are the node's own `tracing`
//! events (target `verinfer_node`, INFO and above), so the JSON says what the log says.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// An event's fields as JSON values (numbers and booleans kept, the rest as text).
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, f: &Field, v: &dyn fmt::Debug) {
        self.0
            .insert(f.name().to_string(), Value::String(format!("{v:?}")));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.insert(f.name().to_string(), Value::String(v.into()));
    }
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.0.insert(f.name().to_string(), v.into());
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.0.insert(f.name().to_string(), v.into());
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.0.insert(f.name().to_string(), v.into());
    }
    fn record_f64(&mut self, f: &Field, v: f64) {
        self.0.insert(f.name().to_string(), v.into());
    }
}

/// The event as one JSON object: the message under `event`, its level and target, and its
/// fields beside them.
pub fn event_json(e: &Event<'_>) -> Value {
    let m = e.metadata();
    let mut f = Fields(Map::new());
    e.record(&mut f);
    let mut o = Map::new();
    o.insert("event".into(), f.0.remove("message").unwrap_or(Value::Null));
    o.insert("level".into(), m.level().as_str().to_lowercase().into());
    o.insert("target".into(), m.target().into());
    for (k, v) in f.0 {
        o.entry(k).or_insert(v);
    }
    Value::Object(o)
}

/// The layer that prints each event it sees on stdout, one line each.
pub struct JsonLines;

impl<S: Subscriber> Layer<S> for JsonLines {
    fn on_event(&self, e: &Event<'_>, _: Context<'_, S>) {
        println!("{}", event_json(e));
    }
}

/// The filter of `node --json`'s lines: the node's events at INFO and above, whatever
/// `VERINFER_LOG` says for the human log on stderr.
pub fn filter() -> tracing_subscriber::filter::Targets {
    tracing_subscriber::filter::Targets::new().with_target("verinfer_node", tracing::Level::INFO)
}
