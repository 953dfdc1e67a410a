//! The SAM template's IAM grants are exactly the ones the permission table of docs/security.md
//! lists: each function's (action, resource, condition) triples, read from
//! `infra/template.yaml`, against the rows between `<!-- iam-table:start -->` and
//! `<!-- iam-table:end -->` there. A grant added to the template without the table (or the other
//! way round), or a condition narrowed or widened on one side only, fails here.

use integration_tests::template::{grants, repo_file};
use std::collections::BTreeSet;

/// (function, action, resource, condition as `Grant::condition_text` writes it).
type Grants = BTreeSet<(String, String, String, String)>;

fn template_grants() -> Grants {
    grants()
        .into_iter()
        .map(|g| {
            let condition = g.condition_text();
            (g.function, g.action, g.resource, condition)
        })
        .collect()
}

fn documented_grants() -> Grants {
    let security = repo_file("docs/security.md");
    let start = security
        .find("<!-- iam-table:start -->")
        .expect("the IAM table's start marker in docs/security.md");
    let end = security
        .find("<!-- iam-table:end -->")
        .expect("the IAM table's end marker in docs/security.md");
    let cell = |s: &str| s.trim().trim_matches('`').to_string();
    security[start..end]
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
fn every_function_has_exactly_the_grants_docs_security_lists() {
    let template = template_grants();
    let documented = documented_grants();
    let undocumented: Vec<_> = template.difference(&documented).collect();
    let missing_from_template: Vec<_> = documented.difference(&template).collect();
    assert!(
        undocumented.is_empty() && missing_from_template.is_empty(),
        "granted but not documented: {undocumented:#?}\ndocumented but not granted: {missing_from_template:#?}"
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
