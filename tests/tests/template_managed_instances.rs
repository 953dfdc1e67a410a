//! Lambda Managed Instances in `infra/template.yaml`: off by default, and then nothing of them
//! exists and every function is as before; on, one capacity provider that only the
//! client-token and authorizer functions run on, with what Managed Instances need of them. The
//! template is read as CloudFormation would for given parameters ([`Effective`]): conditions
//! evaluated, each `!If` chosen, `!Ref AWS::NoValue` dropped.

use integration_tests::template::{Effective, Parameters, intrinsic, template};
use serde_norway::Value;

/// The two functions that may run on the capacity provider.
const ON_MANAGED_INSTANCES: [&str; 2] = ["ClientTokenFunction", "AuthorizerFunction"];

/// What a function has only on Managed Instances.
const MANAGED_INSTANCES_PROPERTIES: [&str; 4] = [
    "CapacityProviderConfig",
    "FunctionName",
    "MemorySize",
    "PublishToLatestPublished",
];

fn defaults() -> Effective {
    let template = template();
    let parameters = Parameters::defaults(&template);
    Effective::new(template, parameters)
}

fn enabled() -> Effective {
    let template = template();
    let parameters = Parameters::defaults(&template)
        .with("ManagedInstances", "enabled")
        .with(
            "ManagedInstancesSubnetIds",
            "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
        )
        .with("ManagedInstancesSecurityGroupIds", "sg-0123456789abcdef0");
    Effective::new(template, parameters)
}

fn function_ids(template: &Value) -> Vec<String> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(id, _)| id.as_str().expect("a logical id").to_string())
        .collect()
}

/// The function's properties for these parameters.
fn properties(effective: &Effective, function: &str) -> Value {
    effective
        .resource(function)
        .unwrap_or_else(|| panic!("{function} does not exist"))["Properties"]
        .clone()
}

#[test]
fn managed_instances_are_off_by_default() {
    let template = template();
    let parameter = &template["Parameters"]["ManagedInstances"];
    assert_eq!(parameter["Default"].as_str(), Some("disabled"));
    assert_eq!(
        parameter["AllowedValues"],
        serde_norway::from_str::<Value>("[disabled, enabled]").unwrap()
    );

    let defaults = defaults();
    assert!(!defaults.condition("ManagedInstancesOn"));
    assert!(defaults.condition("ManagedInstancesOff"));
    assert!(
        defaults
            .resources("AWS::Lambda::CapacityProvider")
            .is_empty()
    );
    assert!(
        defaults
            .resources("AWS::Serverless::CapacityProvider")
            .is_empty()
    );
    assert!(defaults.resource("ManagedInstancesOperatorRole").is_none());
    for function in function_ids(&template) {
        let properties = properties(&defaults, &function);
        for property in MANAGED_INSTANCES_PROPERTIES {
            if property == "MemorySize" && !ON_MANAGED_INSTANCES.contains(&function.as_str()) {
                continue; // their own sizes, unconditional
            }
            assert!(
                properties[property].is_null(),
                "{function} has {property} by default: {:?}",
                properties[property]
            );
        }
    }
    // The two functions keep the Globals' size, as before.
    assert_eq!(
        template["Globals"]["Function"]["MemorySize"].as_u64(),
        Some(256)
    );
}

/// Everything Managed Instances add is under the one condition, and it holds only with the
/// parameter enabled and the network given (the rule refuses enabled without it).
#[test]
fn every_managed_instances_resource_is_under_the_condition() {
    let template = template();
    for (id, resource) in template["Resources"].as_mapping().expect("Resources") {
        let kind = resource["Type"].as_str().unwrap_or_default();
        let id = id.as_str().unwrap();
        if kind.ends_with("::CapacityProvider") || id.starts_with("ManagedInstances") {
            assert_eq!(
                resource["Condition"].as_str(),
                Some("ManagedInstancesOn"),
                "{id}"
            );
        }
    }
    let enabled = enabled();
    assert!(enabled.condition("ManagedInstancesOn"));
    let providers = enabled.resources("AWS::Lambda::CapacityProvider");
    assert_eq!(providers.len(), 1, "{providers:?}");
    let written = integration_tests::template::template();
    let network_missing = Effective::new(
        written.clone(),
        Parameters::defaults(&written).with("ManagedInstances", "enabled"),
    );
    assert!(!network_missing.condition("ManagedInstancesOn"));
}

#[test]
fn only_the_client_token_and_authorizer_functions_run_on_the_capacity_provider() {
    let template = template();
    assert!(
        template["Globals"]["Function"]["CapacityProviderConfig"].is_null(),
        "a global capacity provider would move every function"
    );
    let enabled = enabled();
    let (provider, _) = enabled
        .resources("AWS::Lambda::CapacityProvider")
        .pop()
        .expect("a capacity provider");
    let mut on_provider = Vec::new();
    for function in function_ids(&template) {
        // Written as `!If [ManagedInstancesOn, {...}, !Ref AWS::NoValue]`, or not at all.
        let written = &template["Resources"][function.as_str()]["Properties"];
        if !written["CapacityProviderConfig"].is_null() {
            let Value::Tagged(tagged) = &written["CapacityProviderConfig"] else {
                panic!("{function}: CapacityProviderConfig is not under a condition");
            };
            let branches = tagged.value.as_sequence().expect("!If");
            assert_eq!(tagged.tag.to_string(), "!If", "{function}");
            assert_eq!(
                branches[0].as_str(),
                Some("ManagedInstancesOn"),
                "{function}"
            );
            assert_eq!(intrinsic(&branches[2]), "Ref AWS::NoValue", "{function}");
        }
        let config = &properties(&enabled, &function)["CapacityProviderConfig"];
        if config.is_null() {
            continue;
        }
        assert_eq!(
            intrinsic(&config["Arn"]),
            format!("GetAtt {provider}.Arn"),
            "{function}"
        );
        on_provider.push(function);
    }
    on_provider.sort();
    let mut expected = ON_MANAGED_INSTANCES.map(String::from).to_vec();
    expected.sort();
    assert_eq!(on_provider, expected);
}

/// What Lambda requires of a function on Managed Instances, and what this template needs for
/// a switch to deploy: at least 2 GB (2 GiB per vCPU at most, so one vCPU or more per
/// environment), several invocations per environment, the code published to
/// $LATEST.PUBLISHED, a name of its own (a switch replaces the function: Lambda cannot change a
/// function's compute type), and no reserved concurrency.
#[test]
fn functions_on_managed_instances_get_what_they_need() {
    let template = template();
    let enabled = enabled();
    let mut names = Vec::new();
    for function in ON_MANAGED_INSTANCES {
        let properties = properties(&enabled, function);
        let memory = properties["MemorySize"].as_u64().expect("MemorySize");
        assert!(memory >= 2048, "{function}: {memory} MB");
        let config = &properties["CapacityProviderConfig"];
        let ratio = config["ExecutionEnvironmentMemoryGiBPerVCpu"]
            .as_f64()
            .expect("ExecutionEnvironmentMemoryGiBPerVCpu");
        assert!((2.0..=8.0).contains(&ratio), "{function}: {ratio}");
        assert!(
            ratio * 1024.0 <= memory as f64,
            "{function}: under one vCPU"
        );
        assert_eq!(
            intrinsic(&config["PerExecutionEnvironmentMaxConcurrency"]),
            "Ref ManagedInstancesMaxConcurrency",
            "{function}"
        );
        assert_eq!(
            properties["PublishToLatestPublished"].as_bool(),
            Some(true),
            "{function}"
        );
        let name = intrinsic(&properties["FunctionName"]);
        assert!(
            name.starts_with("Sub ${AWS::StackName}-"),
            "{function}: {name}"
        );
        assert!(!names.contains(&name), "{function}: {name}");
        names.push(name);
    }
    let concurrency = &template["Parameters"]["ManagedInstancesMaxConcurrency"];
    assert!(concurrency["Default"].as_u64().unwrap() > 1);
    assert!(concurrency["MaxValue"].as_u64().unwrap() <= 1600);

    // Reserved concurrency and Managed Instances are refused together, before anything is
    // created, rather than one silently dropped.
    let rule = &template["Rules"]["ManagedInstancesWithoutReservations"];
    let asserted = format!("{:?}", rule["Assertions"]);
    for parameter in ["ClientTokenConcurrency", "AuthorizerConcurrency"] {
        assert!(asserted.contains(parameter), "{parameter}: {asserted}");
    }
    assert!(
        format!("{:?}", rule["RuleCondition"]).contains("ManagedInstances"),
        "{:?}",
        rule["RuleCondition"]
    );
    let network = format!(
        "{:?}",
        template["Rules"]["ManagedInstancesNeedAVpc"]["Assertions"]
    );
    for parameter in [
        "ManagedInstancesSubnetIds",
        "ManagedInstancesSecurityGroupIds",
    ] {
        assert!(network.contains(parameter), "{parameter}: {network}");
    }
}

/// SAM itself refuses an `!If` around CapacityProviderConfig ("Invalid CapacityProviderConfig"):
/// AWS::LanguageExtensions resolves it first, so it must run before the SAM transform.
#[test]
fn language_extensions_resolve_the_conditions_before_sam() {
    let template = template();
    let transforms: Vec<&str> = template["Transform"]
        .as_sequence()
        .expect("a list of transforms")
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        transforms,
        ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]
    );
}

/// The capacity provider: arm64 like the functions' build, in the given network, bounded by
/// the vCPU parameter, operated by a role that only Lambda assumes and that holds the AWS
/// managed operator policy and nothing else.
#[test]
fn the_capacity_provider_matches_the_functions_and_its_role_is_the_managed_one() {
    let template = template();
    let enabled = enabled();
    let (_, provider) = enabled
        .resources("AWS::Lambda::CapacityProvider")
        .pop()
        .expect("a capacity provider");
    let properties = &provider["Properties"];
    assert_eq!(
        properties["InstanceRequirements"]["Architectures"],
        template["Globals"]["Function"]["Architectures"]
    );
    assert_eq!(
        intrinsic(&properties["VpcConfig"]["SubnetIds"]),
        "Ref ManagedInstancesSubnetIds"
    );
    assert_eq!(
        intrinsic(&properties["VpcConfig"]["SecurityGroupIds"]),
        "Ref ManagedInstancesSecurityGroupIds"
    );
    assert_eq!(
        intrinsic(&properties["CapacityProviderScalingConfig"]["MaxVCpuCount"]),
        "Ref ManagedInstancesMaxVCpu"
    );
    // Lambda chooses the instance types unless some are given.
    assert!(properties["InstanceRequirements"]["AllowedInstanceTypes"].is_null());
    let typed = Effective::new(
        template.clone(),
        Parameters::defaults(&template)
            .with("ManagedInstances", "enabled")
            .with("ManagedInstancesSubnetIds", "subnet-0123456789abcdef0")
            .with("ManagedInstancesSecurityGroupIds", "sg-0123456789abcdef0")
            .with("ManagedInstancesInstanceTypes", "m7g.large,c7g.large"),
    );
    let typed = typed
        .resource("ManagedInstancesCapacityProvider")
        .expect("the capacity provider");
    assert_eq!(
        intrinsic(&typed["Properties"]["InstanceRequirements"]["AllowedInstanceTypes"]),
        "Ref ManagedInstancesInstanceTypes"
    );

    let role_id = intrinsic(&properties["PermissionsConfig"]["CapacityProviderOperatorRoleArn"]);
    let role_id = role_id
        .strip_prefix("GetAtt ")
        .and_then(|r| r.strip_suffix(".Arn"))
        .expect("the operator role's ARN");
    let role = enabled.resource(role_id).expect("the operator role");
    assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"));
    let role = &role["Properties"];
    assert!(role["Policies"].is_null(), "inline policies on {role_id}");
    let managed: Vec<String> = role["ManagedPolicyArns"]
        .as_sequence()
        .expect("ManagedPolicyArns")
        .iter()
        .map(intrinsic)
        .collect();
    assert_eq!(
        managed,
        ["Sub arn:${AWS::Partition}:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"]
    );
    let statements = role["AssumeRolePolicyDocument"]["Statement"]
        .as_sequence()
        .expect("a trust policy");
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0]["Principal"]["Service"].as_str(),
        Some("lambda.amazonaws.com")
    );
    assert_eq!(statements[0]["Action"].as_str(), Some("sts:AssumeRole"));
}

/// A switch replaces the authorizer function, and a REST API stage serves a snapshot: each
/// setting has its own deployment, taken after the authorizer, and the stage serves the one
/// that exists.
#[test]
fn the_protected_api_is_redeployed_when_the_authorizer_moves() {
    for effective in [defaults(), enabled()] {
        let deployments = effective.resources("AWS::ApiGateway::Deployment");
        assert_eq!(deployments.len(), 1, "{deployments:?}");
        let (deployment, resource) = &deployments[0];
        let stage = effective.resource("ProtectedApiStage").expect("the stage");
        assert_eq!(
            intrinsic(&stage["Properties"]["DeploymentId"]),
            format!("Ref {deployment}")
        );
        let depends_on = format!("{:?}", resource["DependsOn"]);
        for dependency in ["WhoamiMethod", "ProtectedApiAuthorizer"] {
            assert!(
                depends_on.contains(dependency),
                "{deployment}: {depends_on}"
            );
        }
    }
}
