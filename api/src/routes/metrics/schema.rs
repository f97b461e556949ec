//! The metrics answer's schema. Its rows are written by hand for speed
//! (`reporting::write_rows`) and their keys are the requested metrics, so the row schema is
//! built from the metric catalogue rather than derived: counts are integers, money and
//! ratios decimal strings.

use std::borrow::Cow;

use adsync_common::conversions::Goal;
use adsync_common::reporting::{metric_names, parse_metrics};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};

use super::Head;

/// The JSON answer of `GET /api/v1/teams/{team}/metrics`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes what `Answer::to_json` writes
pub(super) struct MetricsAnswer {
    #[serde(flatten)]
    head: Head,
    rows: Vec<MetricsRow>,
}

/// One period of one object.
pub(super) struct MetricsRow;

fn decimal() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^-?[0-9]+(\.[0-9]+)?$"))
        .description(Some(
            "An exact decimal: money in the account currency, or a ratio (4 digits)",
        ))
}

fn count() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .description(Some("A count"))
}

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(description))
}

impl utoipa::PartialSchema for MetricsRow {
    fn schema() -> RefOr<Schema> {
        let mut row = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "date",
                ObjectBuilder::new().schema_type(Type::String).description(Some(
                    "The period's first day (YYYY-MM-DD), or `since..until` with granularity=total",
                )),
            )
            .required("date")
            .property("id", ObjectBuilder::new().schema_type(Type::String))
            .required("id")
            .property("name", text("The object's name as Facebook last listed it"))
            .required("name")
            .property("status", text("Campaigns, ad sets and ads: what the advertiser set"))
            .property(
                "effective_status",
                text("Campaigns, ad sets and ads: what Facebook delivers"),
            )
            .property("objective", text("Campaigns only"))
            .property(
                "breakdown",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some("With `breakdown`: the row's values (`{\"age\": \"25-34\"}`)")),
            );
        let goal = Goal::default();
        for name in metric_names() {
            let is_count = parse_metrics(name, &goal)
                .ok()
                .and_then(|list| list.metrics.first().map(|m| m.is_count()))
                .unwrap_or(false);
            row = row.property(name, if is_count { count() } else { decimal() });
        }
        // `action:<type>` (a count), `action_value:<type>` and `cost_per_action:<type>`.
        let any_metric = OneOfBuilder::new().item(count()).item(decimal());
        row = row.additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::OneOf(
            any_metric.build(),
        )))));
        RefOr::T(Schema::Object(row.build()))
    }
}

impl utoipa::ToSchema for MetricsRow {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("MetricsRow")
    }
}
