//! Every route `infra/template.yaml` deploys is one `make run` serves, with the same function,
//! and the other way round: the functions' `HttpApi` events, the `AWS::ApiGatewayV2::Route`s and
//! the REST APIs' methods, against the `cargo lambda watch` router in Cargo.toml
//! (`[workspace.metadata.lambda.watch.router]`). A route added on one side only fails here.
//!
//! The router maps paths, not methods: a path's function must match whatever the method.

use integration_tests::template::{Route, routes, watch_router};

/// Deployed but not on the watch router, on purpose: the example protected route sits behind
/// the authorizer on a REST API, which `cargo lambda watch` does not emulate (it would serve the
/// route unprotected, with no authorizer context). docs/authorizer.md, "Try it locally", invokes
/// the authorizer and `whoami` directly instead.
const NOT_ON_THE_WATCH_ROUTER: &[(&str, &str)] = &[("GET", "/v1/whoami")];

fn excepted(route: &Route) -> bool {
    NOT_ON_THE_WATCH_ROUTER.contains(&(route.method.as_str(), route.path.as_str()))
}

#[test]
fn every_template_route_is_on_the_watch_router_with_the_same_function() {
    let router = watch_router();
    let wrong: Vec<String> = routes()
        .into_iter()
        .filter(|route| !excepted(route))
        .filter_map(
            |route| match router.iter().find(|(path, _)| *path == route.path) {
                Some((_, binary)) if *binary == route.binary => None,
                Some((_, binary)) => Some(format!(
                    "{} {} ({}): {} in the template, {binary} on the router",
                    route.method, route.path, route.declared_by, route.binary
                )),
                None => Some(format!(
                    "{} {} ({}, {}) is not on the router",
                    route.method, route.path, route.declared_by, route.binary
                )),
            },
        )
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_watch_router_entry_is_a_template_route_of_the_same_function() {
    let routes = routes();
    let missing: Vec<String> = watch_router()
        .into_iter()
        .filter(|(path, binary)| {
            !routes
                .iter()
                .any(|route| route.path == *path && route.binary == *binary)
        })
        .map(|(path, binary)| format!("{path} = {binary}"))
        .collect();
    assert!(
        missing.is_empty(),
        "on the router, not in the template: {missing:#?}"
    );
}

/// The reader finds what it must: each kind of declaration the template uses, and the
/// exception really is deployed (if the whoami route left the template, the exception goes too).
#[test]
fn the_route_reader_sees_the_http_api_events_and_the_rest_methods() {
    let routes = routes();
    assert!(routes.iter().any(|r| r.method == "POST"
        && r.path == "/oauth/v2/token"
        && r.binary == "client-token"
        && r.declared_by.starts_with("HttpApi event")));
    for (method, path) in NOT_ON_THE_WATCH_ROUTER {
        assert!(
            routes
                .iter()
                .any(|r| r.method == *method && r.path == *path),
            "{method} {path} is excepted but not in the template"
        );
    }
    let whoami = routes.iter().find(|r| r.path == "/v1/whoami").unwrap();
    assert_eq!(
        (whoami.binary.as_str(), whoami.declared_by.as_str()),
        ("whoami", "REST method WhoamiMethod")
    );
    assert_eq!(routes.len(), 8, "{routes:#?}");
}
