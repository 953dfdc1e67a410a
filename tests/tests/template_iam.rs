//! The SAM template's IAM grants are exactly the ones the README's permission table lists:
//! each function's (action, resource, condition) triples, read from `infra/template.yaml`,
//! against the rows between `<!-- iam-table:start -->` and `<!-- iam-table:end -->` in
//! README.md. A grant added to the template without the README (or the other way round), or a
//! condition narrowed or widened on one side only, fails here.

use serde_norway::Value;
use std::collections::BTreeSet;

/// (function, action, resource, condition); the condition as [`condition_text`] writes it.
type Grants = BTreeSet<(String, String, String, String)>;

/// A statement's `Condition` as one line: `Operator key: v1, v2` clauses, sorted, joined by
/// `; `; `-` when there is none.
fn condition_text(condition: &Value) -> String {
    let Some(operators) = condition.as_mapping() else {
        return "-".into();
    };
    let mut clauses = Vec::new();
    for (operator, keys) in operators {
        let operator = operator.as_str().expect("an operator is a string");
        for (key, values) in keys.as_mapping().expect("a condition maps keys to values") {
            let key = key.as_str().expect("a condition key is a string");
            let values = strings(values, |v| v.as_str().expect("a string").to_string());
            clauses.push(format!("{operator} {key}: {}", values.join(", ")));
        }
    }
    clauses.sort();
    clauses.join("; ")
}

fn repo_file(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

/// `!Ref X` → `Ref X`, `!GetAtt X.Arn` → `GetAtt X.Arn`, plain strings as they are.
fn resource_name(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let tag = tag.trim_start_matches('!');
            match &tagged.value {
                Value::String(s) => format!("{tag} {s}"),
                other => format!("{tag} {other:?}"),
            }
        }
        other => panic!("unexpected resource {other:?}"),
    }
}

fn strings(value: &Value, name: fn(&Value) -> String) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().map(name).collect(),
        one => vec![name(one)],
    }
}

fn action(value: &Value) -> String {
    value.as_str().expect("an action is a string").to_string()
}

/// A statement, or for `!If [condition, statement, AWS::NoValue]` the conditional statement
/// (a grant that can exist counts).
fn statements(value: &Value) -> Vec<&Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag.to_string().trim_start_matches('!') == "If" => {
            let branches = tagged.value.as_sequence().expect("!If takes a list");
            branches[1..]
                .iter()
                .filter(|branch| branch.as_mapping().is_some())
                .collect()
        }
        plain => vec![plain],
    }
}

fn template_grants() -> Grants {
    let template: Value = serde_norway::from_str(&repo_file("infra/template.yaml")).unwrap();
    let mut grants = Grants::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let function = name.as_str().unwrap().to_string();
        let Some(policies) = resource["Properties"]["Policies"].as_sequence() else {
            continue;
        };
        for policy in policies {
            for statement in policy["Statement"].as_sequence().unwrap() {
                for statement in statements(statement) {
                    assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{function}");
                    let condition = condition_text(&statement["Condition"]);
                    for action in strings(&statement["Action"], action) {
                        for resource in strings(&statement["Resource"], resource_name) {
                            grants.insert((
                                function.clone(),
                                action.clone(),
                                resource,
                                condition.clone(),
                            ));
                        }
                    }
                }
            }
        }
    }
    grants
}

fn readme_grants() -> Grants {
    let readme = repo_file("README.md");
    let start = readme
        .find("<!-- iam-table:start -->")
        .expect("the README's IAM table start marker");
    let end = readme
        .find("<!-- iam-table:end -->")
        .expect("the README's IAM table end marker");
    let cell = |s: &str| s.trim().trim_matches('`').to_string();
    readme[start..end]
        .lines()
        .filter(|line| {
            line.starts_with('|') && !line.starts_with("|---") && !line.contains("| action |")
        })
        .flat_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
            assert_eq!(
                cells.len(),
                4,
                "a row is | function | action | resource | condition |: {line}"
            );
            let function = cell(cells[0]);
            let resource = cell(cells[2]);
            let condition = cell(cells[3]);
            cells[1]
                .split(',')
                .map(|action| {
                    (
                        function.clone(),
                        cell(action),
                        resource.clone(),
                        condition.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_function_has_exactly_the_grants_the_readme_lists() {
    let template = template_grants();
    let readme = readme_grants();
    let missing_from_readme: Vec<_> = template.difference(&readme).collect();
    let missing_from_template: Vec<_> = readme.difference(&template).collect();
    assert!(
        missing_from_readme.is_empty() && missing_from_template.is_empty(),
        "granted but not documented: {missing_from_readme:#?}\ndocumented but not granted: {missing_from_template:#?}"
    );
}

#[test]
fn no_function_may_scan_or_delete_beyond_the_legacy_keys() {
    for (function, action, resource, _) in template_grants() {
        assert!(
            !action.contains('*'),
            "{function}: wildcard action {action}"
        );
        assert!(
            !resource.contains('*'),
            "{function}: wildcard resource {resource}"
        );
        assert_ne!(action, "dynamodb:Scan", "{function} may scan {resource}");
        if action == "dynamodb:DeleteItem" {
            assert_eq!(
                (function.as_str(), resource.as_str()),
                ("ClientTokenFunction", "GetAtt ApiKeysTable.Arn")
            );
        }
    }
}

/// A function that updates a client or a user names the attributes it may change: a token
/// function must not be able to enable a client, change its secrets or re-enable a user.
#[test]
fn every_update_of_a_client_or_user_is_limited_to_named_attributes() {
    for (function, action, resource, condition) in template_grants() {
        let shared = resource.contains("ClientsTable") || resource.contains("UsersTable");
        if action == "dynamodb:UpdateItem" && shared {
            assert!(
                condition.contains("ForAllValues:StringEquals dynamodb:Attributes: "),
                "{function} may update any attribute of {resource}: {condition}"
            );
        }
    }
}
