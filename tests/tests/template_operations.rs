//! What `infra/template.yaml` promises a production deployment beyond its grants and routes:
//! data that outlives the stack and its mistakes, logs that are kept and not forever, alarms
//! only where a topic receives them, TLS 1.2 at least on every custom domain, and X-Ray
//! tracing only when asked for.

use integration_tests::template::{Effective, Parameters, template};
use serde_norway::Value;

/// The resources of `kind`: (logical id, resource).
fn resources(template: &Value, kind: &str) -> Vec<(String, Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (id.as_str().expect("a logical id").to_string(), r.clone()))
        .collect()
}

fn tag_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => tagged.value.as_str().map(String::from),
        _ => None,
    }
}

#[test]
fn every_table_and_the_key_secret_outlive_the_stack_and_recover_to_a_point_in_time() {
    let template = template();
    let tables = resources(&template, "AWS::DynamoDB::Table");
    assert!(tables.len() >= 4, "{tables:?}");
    for (id, table) in &tables {
        assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"), "{id}");
        assert_eq!(
            table["UpdateReplacePolicy"].as_str(),
            Some("Retain"),
            "{id}"
        );
        let properties = &table["Properties"];
        assert_eq!(
            properties["DeletionProtectionEnabled"].as_bool(),
            Some(true),
            "{id}"
        );
        assert_eq!(
            properties["BillingMode"].as_str(),
            Some("PAY_PER_REQUEST"),
            "{id}"
        );
        assert_eq!(
            properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
            Some(true),
            "{id}"
        );
    }
    for (id, secret) in resources(&template, "AWS::SecretsManager::Secret") {
        assert_eq!(secret["DeletionPolicy"].as_str(), Some("Retain"), "{id}");
        assert_eq!(
            secret["UpdateReplacePolicy"].as_str(),
            Some("Retain"),
            "{id}"
        );
    }
}

#[test]
fn every_function_logs_to_a_group_of_its_own_with_a_retention() {
    let template = template();
    let groups = resources(&template, "AWS::Logs::LogGroup");
    let mut used = Vec::new();
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        let group = tag_target(&function["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id} names no log group"));
        let (_, resource) = groups
            .iter()
            .find(|(name, _)| *name == group)
            .unwrap_or_else(|| panic!("{id}: no log group {group}"));
        assert!(
            !resource["Properties"]["RetentionInDays"].is_null(),
            "{group} keeps its lines forever"
        );
        assert!(!used.contains(&group), "{group} is shared");
        used.push(group);
    }
}

#[test]
fn alarms_exist_only_with_a_topic_and_notify_it() {
    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    assert!(!alarms.is_empty());
    for (id, alarm) in alarms {
        assert_eq!(alarm["Condition"].as_str(), Some("HasAlarmTopic"), "{id}");
        let actions = alarm["Properties"]["AlarmActions"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no AlarmActions"));
        assert!(
            actions
                .iter()
                .any(|a| tag_target(a).as_deref() == Some("AlarmTopicArn")),
            "{id} does not notify the alarm topic"
        );
    }
}

#[test]
fn every_custom_domain_requires_tls_1_2() {
    let template = template();
    let domains = resources(&template, "AWS::ApiGatewayV2::DomainName");
    assert!(!domains.is_empty());
    for (id, domain) in domains {
        for configuration in domain["Properties"]["DomainNameConfigurations"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no configuration"))
        {
            assert_eq!(
                configuration["SecurityPolicy"].as_str(),
                Some("TLS_1_2"),
                "{id}"
            );
        }
    }
}

/// `Tracing` (PassThrough by default) drives every function's X-Ray mode and the REST API
/// stage's tracing. Per function, not in the Globals: AWS::LanguageExtensions resolves the
/// `!If` in Resources only, and SAM gives a role the X-Ray write policy whenever a function's
/// Tracing is anything but Disabled, so a global `!If` would grant it with tracing off too.
#[test]
fn the_tracing_parameter_drives_x_ray_on_every_function_and_the_rest_stage() {
    let template = template();
    let parameter = &template["Parameters"]["Tracing"];
    assert_eq!(parameter["Default"].as_str(), Some("PassThrough"));
    assert_eq!(
        parameter["AllowedValues"],
        serde_norway::from_str::<Value>("[PassThrough, Active]").unwrap()
    );
    assert!(template["Globals"]["Function"]["Tracing"].is_null());

    let functions: Vec<String> = resources(&template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(functions.len() >= 6, "{functions:?}");
    for (tracing, expected, stage) in [
        ("PassThrough", None, false),
        ("Active", Some("Active"), true),
    ] {
        let effective = Effective::new(
            template.clone(),
            Parameters::defaults(&template).with("Tracing", tracing),
        );
        for function in &functions {
            let resource = effective.resource(function).expect("the function");
            assert_eq!(
                resource["Properties"]["Tracing"].as_str(),
                expected,
                "{function} with Tracing={tracing}"
            );
        }
        let stage_resource = effective.resource("ProtectedApiStage").expect("the stage");
        assert_eq!(
            stage_resource["Properties"]["TracingEnabled"].as_bool(),
            Some(stage),
            "Tracing={tracing}"
        );
    }
}
