//! The functions' IAM grants as `infra/template.yaml` declares them, read once for the tests
//! that check them: against the permission table of docs/security.md (`template_iam.rs`), and
//! against the requests the DynamoDB adapters really send (the attribute limits, with
//! [`crate::dynamodb_writes`]); and its routes, against the `cargo lambda watch` router
//! (`template_routes.rs`).

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
    let template = template();
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

/// One route the template serves: its method and path, the function's binary (its
/// `BuildProperties.Binary`), and where it is declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub binary: String,
    /// `HttpApi event of X`, `ApiGatewayV2 route X`, `REST method X`.
    pub declared_by: String,
}

/// The template as YAML, its `!Ref`/`!GetAtt` tags kept.
pub fn template() -> Value {
    serde_norway::from_str(&repo_file("infra/template.yaml")).expect("the template parses")
}

/// Every route of every API in the template: the functions' `HttpApi` events, the
/// `AWS::ApiGatewayV2::Route`s (through their integration) and the REST APIs'
/// `AWS::ApiGateway::Method`s (their path rebuilt from the `AWS::ApiGateway::Resource` chain).
pub fn routes() -> Vec<Route> {
    let template = template();
    let resources = template["Resources"].as_mapping().expect("Resources");
    let by_id = |id: &str| -> &Value {
        resources
            .get(id)
            .unwrap_or_else(|| panic!("no resource {id}"))
    };
    let binary_of = |function: &str| -> String {
        by_id(function)["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{function} names no binary"))
            .to_string()
    };
    let mut routes = Vec::new();
    for (id, resource) in resources {
        let id = id.as_str().expect("a logical id");
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => {
                let Some(events) = resource["Properties"]["Events"].as_mapping() else {
                    continue;
                };
                for (event, spec) in events {
                    if spec["Type"].as_str() != Some("HttpApi") {
                        continue;
                    }
                    let properties = &spec["Properties"];
                    routes.push(Route {
                        method: properties["Method"]
                            .as_str()
                            .expect("Method")
                            .to_uppercase(),
                        path: properties["Path"].as_str().expect("Path").to_string(),
                        binary: binary_of(id),
                        declared_by: format!("HttpApi event {} of {id}", event.as_str().unwrap()),
                    });
                }
            }
            Some("AWS::ApiGatewayV2::Route") => {
                let key = resource["Properties"]["RouteKey"]
                    .as_str()
                    .expect("RouteKey");
                let (method, path) = key.split_once(' ').expect("a route key is `METHOD /path`");
                let target = intrinsic_text(&resource["Properties"]["Target"]);
                let integration = target
                    .trim_start_matches("Sub ")
                    .trim_start_matches("integrations/${")
                    .trim_end_matches('}');
                let uri = intrinsic_text(&by_id(integration)["Properties"]["IntegrationUri"]);
                routes.push(Route {
                    method: method.to_string(),
                    path: path.to_string(),
                    binary: binary_of(function_in(&uri)),
                    declared_by: format!("ApiGatewayV2 route {id}"),
                });
            }
            Some("AWS::ApiGateway::Method") => {
                let properties = &resource["Properties"];
                let mut segments = Vec::new();
                let mut parent = intrinsic_text(&properties["ResourceId"]);
                // `Ref X` up to the API's `GetAtt Api.RootResourceId`.
                while let Some(path_resource) = parent.strip_prefix("Ref ") {
                    let path_resource = &by_id(path_resource)["Properties"];
                    segments.push(path_resource["PathPart"].as_str().expect("PathPart"));
                    parent = intrinsic_text(&path_resource["ParentId"]);
                }
                assert!(
                    parent.ends_with(".RootResourceId"),
                    "{id}: path ends at {parent}"
                );
                segments.reverse();
                let uri = intrinsic_text(&properties["Integration"]["Uri"]);
                routes.push(Route {
                    method: properties["HttpMethod"]
                        .as_str()
                        .expect("HttpMethod")
                        .to_string(),
                    path: format!("/{}", segments.join("/")),
                    binary: binary_of(function_in(&uri)),
                    declared_by: format!("REST method {id}"),
                });
            }
            _ => {}
        }
    }
    routes
}

/// The function an integration URI names: `GetAtt F.Arn`, or a `Sub` with `${F.Arn}`.
fn function_in(uri: &str) -> &str {
    let attribute = match uri.strip_prefix("GetAtt ") {
        Some(attribute) => attribute,
        None => uri
            .split("${")
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .find(|name| name.ends_with(".Arn"))
            .unwrap_or_else(|| panic!("no `${{F.Arn}}` in {uri}")),
    };
    attribute.strip_suffix(".Arn").expect("an ARN attribute")
}

/// `!Sub "…"` → `Sub …`, like the grants' resources.
fn intrinsic_text(value: &Value) -> String {
    resource_name(value)
}

/// The `cargo lambda watch` router of the workspace's Cargo.toml
/// (`[workspace.metadata.lambda.watch.router]`): path → function binary.
pub fn watch_router() -> Vec<(String, String)> {
    let manifest = repo_file("Cargo.toml");
    let start = manifest
        .find("[workspace.metadata.lambda.watch.router]")
        .expect("the watch router table");
    manifest[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (path, binary) = line.split_once('=').expect("`\"path\" = \"function\"`");
            let unquote = |s: &str| s.trim().trim_matches('"').to_string();
            (unquote(path), unquote(binary))
        })
        .collect()
}

/// Parameter values for [`Effective`]: the template's defaults, with some overridden.
#[derive(Debug, Clone)]
pub struct Parameters(std::collections::BTreeMap<String, Value>);

impl Parameters {
    /// Every parameter's `Default` (a parameter without one, `Issuer`, is left out: no
    /// condition reads it).
    pub fn defaults(template: &Value) -> Self {
        let parameters = template["Parameters"].as_mapping().expect("Parameters");
        Self(
            parameters
                .iter()
                .filter(|(_, p)| !p["Default"].is_null())
                .map(|(name, p)| {
                    let name = name.as_str().expect("a parameter name").to_string();
                    let value = match &p["Default"] {
                        Value::String(s) if p["Type"].as_str() == Some("CommaDelimitedList") => {
                            Value::Sequence(s.split(',').map(|v| Value::String(v.into())).collect())
                        }
                        other => other.clone(),
                    };
                    (name, value)
                })
                .collect(),
        )
    }

    /// `name` set to `value` (a comma-separated list for a list parameter).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        let previous = self
            .0
            .get(name)
            .unwrap_or_else(|| panic!("no parameter {name} with a default"));
        let value = match previous {
            Value::Sequence(_) => {
                Value::Sequence(value.split(',').map(|v| Value::String(v.into())).collect())
            }
            _ => Value::String(value.into()),
        };
        self.0.insert(name.into(), value);
        self
    }
}

/// The template as CloudFormation sees it for some parameters: which conditions hold, which
/// resources exist, and their properties with every `!If` chosen and `!Ref AWS::NoValue`
/// dropped. Evaluates the condition functions the template uses (`!Equals`, `!Not`, `!And`,
/// `!Or`, `!Condition`, `!Join` and `!Ref` of parameters); anything else is left as written.
pub struct Effective {
    template: Value,
    parameters: Parameters,
}

impl Effective {
    pub fn new(template: Value, parameters: Parameters) -> Self {
        Self {
            template,
            parameters,
        }
    }

    /// The named condition's value.
    pub fn condition(&self, name: &str) -> bool {
        let definition = &self.template["Conditions"][name];
        assert!(!definition.is_null(), "no condition {name}");
        self.truth(definition)
    }

    /// The resource if it exists for these parameters (its `Condition` holds, or it has none),
    /// its properties resolved.
    pub fn resource(&self, id: &str) -> Option<Value> {
        let resource = &self.template["Resources"][id];
        assert!(!resource.is_null(), "no resource {id}");
        if let Some(condition) = resource["Condition"].as_str()
            && !self.condition(condition)
        {
            return None;
        }
        self.resolve(resource)
    }

    /// Every resource of `kind` that exists for these parameters: (logical id, resource).
    pub fn resources(&self, kind: &str) -> Vec<(String, Value)> {
        let resources = self.template["Resources"].as_mapping().expect("Resources");
        resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .filter_map(|(id, _)| {
                let id = id.as_str().expect("a logical id");
                self.resource(id).map(|r| (id.to_string(), r))
            })
            .collect()
    }

    /// `value` with each `!If` replaced by its chosen branch; `None` for `!Ref AWS::NoValue`
    /// (map entries and list items that resolve to it are dropped).
    pub fn resolve(&self, value: &Value) -> Option<Value> {
        match value {
            Value::Tagged(tagged) => match tag_name(tagged).as_str() {
                "If" => {
                    let branches = tagged.value.as_sequence().expect("!If takes a list");
                    let condition = branches[0].as_str().expect("!If names a condition");
                    let chosen = if self.condition(condition) { 1 } else { 2 };
                    self.resolve(&branches[chosen])
                }
                "Ref" if tagged.value.as_str() == Some("AWS::NoValue") => None,
                _ => Some(value.clone()),
            },
            Value::Mapping(mapping) => Some(Value::Mapping(
                mapping
                    .iter()
                    .filter_map(|(k, v)| self.resolve(v).map(|v| (k.clone(), v)))
                    .collect(),
            )),
            Value::Sequence(items) => Some(Value::Sequence(
                items.iter().filter_map(|v| self.resolve(v)).collect(),
            )),
            other => Some(other.clone()),
        }
    }

    fn truth(&self, value: &Value) -> bool {
        let Value::Tagged(tagged) = value else {
            panic!("not a condition function: {value:?}");
        };
        let arguments = || tagged.value.as_sequence().expect("a list of arguments");
        match tag_name(tagged).as_str() {
            "Equals" => {
                let arguments = arguments();
                self.scalar(&arguments[0]) == self.scalar(&arguments[1])
            }
            "Not" => !self.truth(&arguments()[0]),
            "And" => arguments().iter().all(|c| self.truth(c)),
            "Or" => arguments().iter().any(|c| self.truth(c)),
            "Condition" => self.condition(tagged.value.as_str().expect("a condition name")),
            other => panic!("condition function {other} is not evaluated here"),
        }
    }

    /// A scalar argument as CloudFormation compares it: as a string.
    fn scalar(&self, value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Tagged(tagged) => match tag_name(tagged).as_str() {
                "Ref" => {
                    let name = tagged.value.as_str().expect("a parameter name");
                    let value = self
                        .parameters
                        .0
                        .get(name)
                        .unwrap_or_else(|| panic!("no value for parameter {name}"));
                    match value {
                        Value::Sequence(items) => {
                            strings(&Value::Sequence(items.clone())).join(",")
                        }
                        scalar => self.scalar(scalar),
                    }
                }
                "Join" => {
                    let arguments = tagged.value.as_sequence().expect("!Join takes a list");
                    let separator = arguments[0].as_str().expect("a separator");
                    let items = match &arguments[1] {
                        Value::Tagged(list) if tag_name(list) == "Ref" => {
                            let name = list.value.as_str().expect("a parameter name");
                            strings(&self.parameters.0[name])
                        }
                        list => list
                            .as_sequence()
                            .expect("a list")
                            .iter()
                            .map(|v| self.scalar(v))
                            .collect(),
                    };
                    items.join(separator)
                }
                other => panic!("{other} is not evaluated in a condition here"),
            },
            other => panic!("not a scalar: {other:?}"),
        }
    }
}

/// A tag's name without its `!`: `If`, `Ref`, `Equals`, …
fn tag_name(tagged: &serde_norway::value::TaggedValue) -> String {
    tagged.tag.to_string().trim_start_matches('!').to_string()
}

/// `!Ref X` / `!GetAtt X.Arn` / `!Sub …` as `Ref X`, `GetAtt X.Arn`, `Sub …` (the form the
/// grants use), for comparisons in the tests.
pub fn intrinsic(value: &Value) -> String {
    resource_name(value)
}
