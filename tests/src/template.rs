//! The functions' IAM grants as `infra/template.yaml` declares them, read once for the tests
//! that check them: against the README's table (`template_iam.rs`), and against the requests the
//! DynamoDB adapters really send (the attribute limits, with [`crate::dynamodb_writes`]).

use serde_norway::Value;

/// One (action, resource) of one function's policy statement, with the statement's condition.
#[derive(Debug, Clone)]
pub struct Grant {
    pub function: String,
    pub action: String,
    /// `GetAtt X.Arn`, `Ref X`, `Sub …`: the intrinsic function without its `!`.
    pub resource: String,
    condition: Value,
}

impl Grant {
    /// The condition as one line: `Operator key: v1, v2` clauses, sorted, joined by `; `; `-`
    /// when there is none.
    pub fn condition_text(&self) -> String {
        let Some(operators) = self.condition.as_mapping() else {
            return "-".into();
        };
        let mut clauses = Vec::new();
        for (operator, keys) in operators {
            let operator = operator.as_str().expect("an operator is a string");
            for (key, values) in keys.as_mapping().expect("a condition maps keys to values") {
                let key = key.as_str().expect("a condition key is a string");
                clauses.push(format!("{operator} {key}: {}", strings(values).join(", ")));
            }
        }
        clauses.sort();
        clauses.join("; ")
    }

    /// The values the condition gives `key` under `operator`, if it names them.
    pub fn condition_values(&self, operator: &str, key: &str) -> Option<Vec<String>> {
        self.condition
            .get(operator)
            .and_then(|keys| keys.get(key))
            .map(strings)
    }
}

/// A file of the repository, by its path from the root.
pub fn repo_file(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

/// Every grant of every function in the template.
pub fn grants() -> Vec<Grant> {
    let template: Value =
        serde_norway::from_str(&repo_file("infra/template.yaml")).expect("the template parses");
    let mut grants = Vec::new();
    let resources = template["Resources"].as_mapping().expect("Resources");
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let function = name.as_str().expect("a logical id").to_string();
        let Some(policies) = resource["Properties"]["Policies"].as_sequence() else {
            continue;
        };
        for policy in policies {
            let policy_statements = policy["Statement"].as_sequence().expect("Statement");
            for statement in policy_statements.iter().flat_map(statements) {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{function}");
                for action in strings(&statement["Action"]) {
                    for resource in to_list(&statement["Resource"]).map(resource_name) {
                        grants.push(Grant {
                            function: function.clone(),
                            action: action.clone(),
                            resource,
                            condition: statement["Condition"].clone(),
                        });
                    }
                }
            }
        }
    }
    grants
}

/// The one grant of `action` on `resource` to `function`.
pub fn grant(function: &str, action: &str, resource: &str) -> Grant {
    let found: Vec<Grant> = grants()
        .into_iter()
        .filter(|g| g.function == function && g.action == action && g.resource == resource)
        .collect();
    match found.as_slice() {
        [one] => one.clone(),
        other => panic!(
            "{function} has {} grants of {action} on {resource}",
            other.len()
        ),
    }
}

fn to_list(value: &Value) -> impl Iterator<Item = &Value> {
    match value {
        Value::Sequence(items) => items.iter().collect::<Vec<_>>().into_iter(),
        one => vec![one].into_iter(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    to_list(value)
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
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
