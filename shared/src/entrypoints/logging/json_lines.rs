//! The JSON log line, written straight to the output: the same document `tracing-subscriber`'s
//! JSON format writes with our settings (`level`, `fields`, the current `span` and the `spans`
//! list, no time and no target; CloudWatch metric filters and log queries read those paths),
//! without its detour through `serde_json` maps. That formatter parses every enclosing span's
//! stored fields back into a map for every line and serialises each field through
//! `tracing-serde`: one line cost a tenth of an ES256 token request's instructions (callgrind,
//! docs/benchmarks.md). Here span fields are spliced in as stored, and
//! values are escaped as they are written.

use std::fmt::{self, Write};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// The event format; spans' fields must be formatted by [`JsonFields`], so that they are stored
/// as JSON objects.
pub struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_str("{\"level\":\"")?;
        writer.write_str(event.metadata().level().as_str())?;
        writer.write_str("\",\"fields\":{")?;
        let mut fields = FieldWriter {
            out: &mut writer,
            separator: "",
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('}')?;
        let current = event
            .parent()
            .and_then(|id| ctx.span(id))
            .or_else(|| ctx.lookup_current());
        if let Some(current) = current {
            writer.write_str(",\"span\":")?;
            write_span(&mut writer, &current)?;
            writer.write_str(",\"spans\":[")?;
            for (i, span) in current.scope().from_root().enumerate() {
                if i > 0 {
                    writer.write_char(',')?;
                }
                write_span(&mut writer, &span)?;
            }
            writer.write_char(']')?;
        }
        writer.write_str("}\n")
    }
}

/// `{<the span's fields>,"name":"<its name>"}`, its fields as [`JsonFields`] stored them.
fn write_span<S>(out: &mut Writer<'_>, span: &SpanRef<'_, S>) -> fmt::Result
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let extensions = span.extensions();
    let stored = extensions
        .get::<FormattedFields<JsonFields>>()
        .map(|fields| fields.fields.trim())
        .and_then(|fields| fields.strip_prefix('{')?.strip_suffix('}'))
        .unwrap_or("");
    out.write_char('{')?;
    if !stored.trim().is_empty() {
        out.write_str(stored)?;
        out.write_char(',')?;
    }
    out.write_str("\"name\":")?;
    write_string(out, span.name())?;
    out.write_char('}')
}

/// Writes each field as `"name":value`, as `tracing-serde` does: 64-bit numbers and booleans
/// as such, everything else (128-bit numbers included) as a string.
struct FieldWriter<'a, 'w> {
    out: &'a mut Writer<'w>,
    separator: &'static str,
    result: fmt::Result,
}

impl FieldWriter<'_, '_> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            self.out.write_str(self.separator)?;
            write_string(self.out, field.name())?;
            self.out.write_char(':')?;
            value(self.out)
        })();
        self.separator = ",";
    }
}

impl Visit for FieldWriter<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |out| write_string(out, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity: serde_json writes them as null.
        self.field(field, |out| {
            if value.is_finite() {
                write!(out, "{value}")
            } else {
                out.write_str("null")
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value}")?;
            out.write_char('"')
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

fn write_string(out: &mut Writer<'_>, value: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(value)?;
    out.write_char('"')
}

/// Escapes what it is given as the inside of a JSON string, as serde_json does: `"` and `\`,
/// the short forms of control characters, `\u00XX` for the others.
struct Escaped<'a, 'w>(&'a mut Writer<'w>);

impl Write for Escaped<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut plain_from = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&text[plain_from..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain_from = at + 1;
        }
        self.0.write_str(&text[plain_from..])
    }
}

#[cfg(test)]
mod tests {
    use crate::entrypoints::logging::LogSettings;
    use crate::testing::CapturedLog;
    use proptest::prelude::*;
    use serde_json::Value;
    use tracing_subscriber::fmt;
    use tracing_subscriber::layer::SubscriberExt;

    /// Lines with every kind of value and span nesting an invocation produces.
    fn log_lines() {
        let invocation = tracing::error_span!("Lambda runtime invoke", requestId = "req-\"1\"");
        let _in_invocation = invocation.enter();
        tracing::info!(
            client_id = "lp-1",
            jti = %"a\u{1}b\nc\\d\"e\u{7f}é€😀",
            kid = "k-2026",
            count = 3u64,
            delta = -4i64,
            big = 1u128 << 100,
            ratio = 0.5f64,
            nothing = f64::NAN,
            flag = true,
            debug = ?vec!["x", "y"],
            "access token issued"
        );
        let error = std::io::Error::other("disk \"full\"\r\n");
        tracing::error!(
            error = &error as &(dyn std::error::Error + 'static),
            "failed"
        );
        {
            let inner = tracing::info_span!("inner", step = 2, label = "two");
            let _in_inner = inner.enter();
            tracing::warn!("nested {}", "message\twith tab");
        }
        let empty = tracing::info_span!("no fields");
        let _in_empty = empty.enter();
        tracing::debug!(answer = 42, "in a span without fields");
        drop(_in_empty);
        drop(_in_invocation);
        tracing::warn!("outside any span");
    }

    fn ours_of(lines: impl FnOnce()) -> Vec<Value> {
        let captured = CapturedLog::default();
        let settings = LogSettings {
            level: Some("TRACE".into()),
            directives: None,
            json: true,
        };
        captured.during(&settings, lines);
        parse(&captured.text())
    }

    fn ours() -> Vec<Value> {
        ours_of(log_lines)
    }

    /// tracing-subscriber's own JSON format with the settings we had before: the reference.
    fn reference() -> Vec<Value> {
        let captured = CapturedLog::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .json()
                .with_target(false)
                .without_time()
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, log_lines);
        parse(&captured.text())
    }

    fn parse(text: &str) -> Vec<Value> {
        text.lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: not JSON: {line}"))
            })
            .collect()
    }

    #[test]
    fn every_line_is_the_document_tracing_subscribers_json_format_writes() {
        let (ours, reference) = (ours(), reference());
        assert_eq!(ours.len(), 5);
        assert_eq!(ours, reference);
    }

    #[test]
    fn values_keep_their_json_types_and_text() {
        let lines = ours();
        let fields = &lines[0]["fields"];
        assert_eq!(fields["message"], "access token issued");
        assert_eq!(fields["jti"], "a\u{1}b\nc\\d\"e\u{7f}é€😀");
        assert_eq!(fields["count"], 3);
        assert_eq!(fields["delta"], -4);
        assert_eq!(fields["flag"], true);
        assert_eq!(fields["nothing"], Value::Null);
        assert_eq!(lines[0]["span"]["requestId"], "req-\"1\"");
        assert_eq!(lines[1]["fields"]["error"], "disk \"full\"\r\n");
        assert_eq!(lines[2]["spans"].as_array().unwrap().len(), 2);
        assert_eq!(lines[2]["span"]["name"], "inner");
        assert_eq!(lines[3]["span"], serde_json::json!({"name": "no fields"}));
        assert!(lines[4].get("span").is_none());
    }

    proptest! {
        #[test]
        fn any_text_reads_back_as_written(text in any::<String>(), id in "\\PC*") {
            let lines = ours_of(|| {
                let span = tracing::error_span!("Lambda runtime invoke", requestId = %id);
                let _in_span = span.enter();
                tracing::info!(value = %text, "{}", text);
            });
            prop_assert_eq!(lines.len(), 1);
            prop_assert_eq!(&lines[0]["fields"]["value"], &Value::from(text.clone()));
            prop_assert_eq!(&lines[0]["fields"]["message"], &Value::from(text));
            prop_assert_eq!(&lines[0]["span"]["requestId"], &Value::from(id));
        }
    }
}
