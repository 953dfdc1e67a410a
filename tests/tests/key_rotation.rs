//! The key-rotation steps against moto's Secrets Manager, on secrets made as the template makes
//! them (`SecretString: "{}"`). Every read names its stage: after a stage move, moto answers a
//! read without one with the version that was current before (AWS answers AWSCURRENT; naming
//! it is right for both).
//!
//! Moto cannot call a rotation function, so [`start_rotation`] sets the secret up as
//! `RotateSecret` does before the first step: rotation enabled, and a version for the token,
//! without a value, labelled AWSPENDING. The steps are then run as Secrets Manager runs them.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use integration_tests::moto_sdk_config;
use token_service::domain::time::now_unix;
use token_service::keys::rotation::port::{AWSCURRENT, AWSPENDING, AWSPREVIOUS};
use token_service::keys::rotation::{KeyRotation, RotationError, StepOutcome};
use token_service::keys::source::{SecretsManagerKeySource, SecretsManagerVersions};
use token_service::keys::{
    KeyCache, KeySet, KeySetDocument, KeySetSource, KeySetStore, KeyState, RetirementWindow,
    SigningAlgorithm, initial_document, rotate,
};
use token_service::testing::conformance::SecretUnderTest;
use token_service::testing::{sole_key, unique_name};

const ALG: SigningAlgorithm = SigningAlgorithm::ES256;
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

struct Secret {
    client: Client,
    /// The ARN, as rotation events name the secret.
    id: String,
}

/// A key-set secret as `infra/template.yaml` creates it, or holding `value`.
async fn secret_holding(value: &str) -> Secret {
    let client = Client::new(&moto_sdk_config().await);
    let created = client
        .create_secret()
        .name(unique_name("rotated-keys"))
        .secret_string(value)
        .send()
        .await
        .expect("create_secret");
    Secret {
        client,
        id: created.arn().expect("an ARN").to_string(),
    }
}

impl Secret {
    fn rotation(&self) -> KeyRotation {
        KeyRotation::new(
            Arc::new(SecretsManagerVersions::new(self.client.clone())),
            ALG,
            RetirementWindow::default(),
        )
    }

    /// What the token functions read.
    fn source(&self) -> SecretsManagerKeySource {
        SecretsManagerKeySource::new(self.client.clone(), self.id.clone())
    }

    async fn step(&self, token: &str, step: &str) -> Result<StepOutcome, RotationError> {
        self.rotation().run(&self.id, token, step, now_unix()).await
    }

    /// The secret as `RotateSecret` leaves it for the function's first step. Moto adds the
    /// pending version and enables rotation before it looks the function up, so an ARN of no
    /// function stops it right there (it would otherwise run the steps itself, in a Lambda
    /// container). The check below fails loudly should moto ever change that order.
    async fn start_rotation(&self) -> String {
        let token = format!("{:x<40}", unique_name("rotation"));
        let refused = self
            .client
            .rotate_secret()
            .secret_id(&self.id)
            .client_request_token(&token)
            .rotation_lambda_arn("arn:aws:lambda:eu-west-1:123456789012:function:not-called")
            .rotation_rules(
                aws_sdk_secretsmanager::types::RotationRulesType::builder()
                    .automatically_after_days(90)
                    .build(),
            )
            .send()
            .await;
        assert!(refused.is_err(), "moto has no such function to call");
        let described = self.describe().await;
        assert_eq!(described.rotation_enabled(), Some(true));
        assert_eq!(self.stages_of(&token).await, vec![AWSPENDING.to_string()]);
        token
    }

    async fn rotate_fully(&self) -> String {
        let token = self.start_rotation().await;
        for step in STEPS {
            self.step(&token, step)
                .await
                .unwrap_or_else(|e| panic!("{step}: {e}"));
        }
        token
    }

    async fn describe(
        &self,
    ) -> aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput {
        self.client
            .describe_secret()
            .secret_id(&self.id)
            .send()
            .await
            .expect("describe_secret")
    }

    async fn stages_of(&self, version: &str) -> Vec<String> {
        let mut stages = self
            .describe()
            .await
            .version_ids_to_stages()
            .and_then(|versions| versions.get(version).cloned())
            .unwrap_or_default();
        stages.sort();
        stages
    }

    async fn version_with(&self, stage: &str) -> Option<String> {
        self.describe()
            .await
            .version_ids_to_stages()?
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == stage))
            .map(|(id, _)| id.clone())
    }

    /// The key set `stage` holds, read by stage.
    async fn key_set(&self, stage: &str) -> KeySetDocument {
        let value = self
            .client
            .get_secret_value()
            .secret_id(&self.id)
            .version_stage(stage)
            .send()
            .await
            .expect("get_secret_value");
        let json = value.secret_string().expect("a SecretString");
        KeySetDocument::from_json(json.as_bytes(), stage).expect("a key set")
    }
}

impl Secret {
    /// The rotation's version, read by its id and whichever stage it holds.
    async fn token_value(&self, token: &str) -> String {
        let stage = self
            .stages_of(token)
            .await
            .into_iter()
            .next()
            .expect("a stage");
        self.client
            .get_secret_value()
            .secret_id(&self.id)
            .version_id(token)
            .version_stage(stage)
            .send()
            .await
            .expect("get_secret_value")
            .secret_string()
            .expect("a SecretString")
            .to_string()
    }
}

/// The Secrets Manager adapter joins the port's suite, which the in-memory secret of the steps'
/// unit tests joins too.
async fn secret_as_a_rotation_finds_it() -> SecretUnderTest {
    let secret = secret_holding("{}").await;
    let current = secret.version_with(AWSCURRENT).await.expect("a version");
    let token = secret.start_rotation().await;
    SecretUnderTest::new(
        Arc::new(SecretsManagerVersions::new(secret.client.clone())),
        secret.id.clone(),
        current,
        token,
    )
}

token_service::versioned_secret_conformance!(secret_as_a_rotation_finds_it());

fn kid(document: &KeySetDocument, state: KeyState) -> String {
    sole_key(document, state).kid.clone()
}

fn published(document: &KeySetDocument, kid: &str) -> bool {
    KeySet::from_document(document)
        .expect("a valid key set")
        .verification_key(kid)
        .is_some()
}

#[tokio::test]
async fn the_first_rotation_of_a_new_stack_s_secret_gives_the_functions_keys() {
    let secret = secret_holding("{}").await;
    let original = secret.version_with(AWSCURRENT).await.expect("a version");
    let token = secret.rotate_fully().await;

    assert_eq!(secret.stages_of(&token).await, [AWSCURRENT]);
    assert_eq!(secret.stages_of(&original).await, [AWSPREVIOUS]);
    let loaded = secret
        .source()
        .load()
        .await
        .expect("the functions load keys");
    assert_eq!(loaded, secret.key_set(AWSCURRENT).await);
    kid(&loaded, KeyState::Next);

    let cache = KeyCache::new(Arc::new(secret.source()), Duration::from_secs(300));
    let keys = cache.current().await.expect("the cache loads the keys");
    assert_eq!(keys.signer().kid(), kid(&loaded, KeyState::Current));
}

#[tokio::test]
async fn each_step_moves_the_stages_as_secrets_manager_expects() {
    let initial = initial_document(ALG, now_unix()).expect("key set");
    let secret = secret_holding(&serde_json::to_string(&initial).expect("JSON")).await;
    let original = secret.version_with(AWSCURRENT).await.expect("a version");
    let token = secret.start_rotation().await;

    assert_eq!(
        secret.step(&token, "createSecret").await.expect("create"),
        StepOutcome::Created
    );
    assert_eq!(secret.stages_of(&token).await, [AWSPENDING]);
    assert_eq!(secret.stages_of(&original).await, [AWSCURRENT]);
    let pending = secret.key_set(AWSPENDING).await;
    assert_eq!(
        kid(&pending, KeyState::Current),
        kid(&initial, KeyState::Next)
    );
    assert_eq!(
        secret.source().load().await.expect("load"),
        initial,
        "the functions keep AWSCURRENT until finishSecret"
    );

    for step in ["setSecret", "testSecret"] {
        secret.step(&token, step).await.expect(step);
        assert_eq!(secret.stages_of(&token).await, [AWSPENDING]);
        assert_eq!(secret.stages_of(&original).await, [AWSCURRENT]);
    }

    assert_eq!(
        secret.step(&token, "finishSecret").await.expect("finish"),
        StepOutcome::Promoted
    );
    assert_eq!(secret.stages_of(&token).await, [AWSCURRENT]);
    assert_eq!(secret.stages_of(&original).await, [AWSPREVIOUS]);
}

/// Moto answers a read without a stage, after a stage move, with the version that was current
/// before: this test failed while `SecretsManagerKeySource::load` named no stage.
#[tokio::test]
async fn after_finish_secret_the_functions_sign_with_the_promoted_key_and_publish_the_new_next() {
    let initial = initial_document(ALG, now_unix()).expect("key set");
    let secret = secret_holding(&serde_json::to_string(&initial).expect("JSON")).await;
    secret.rotate_fully().await;

    let loaded = secret.source().load().await.expect("load");
    assert_eq!(loaded, secret.key_set(AWSCURRENT).await);
    assert_eq!(
        kid(&loaded, KeyState::Current),
        kid(&initial, KeyState::Next)
    );
    let new_next = kid(&loaded, KeyState::Next);
    assert!(!initial.keys.iter().any(|k| k.kid == new_next));
    assert!(published(&loaded, &new_next));
    assert!(published(&loaded, &kid(&initial, KeyState::Current)));
}

#[tokio::test]
async fn a_second_rotation_promotes_the_key_the_first_one_published() {
    let secret = secret_holding("{}").await;
    let first = secret.rotate_fully().await;
    let after_first = secret.key_set(AWSCURRENT).await;
    let second = secret.rotate_fully().await;
    let after_second = secret.key_set(AWSCURRENT).await;

    assert_eq!(
        kid(&after_second, KeyState::Current),
        kid(&after_first, KeyState::Next)
    );
    assert_eq!(
        kid(&after_second, KeyState::Previous),
        kid(&after_first, KeyState::Current)
    );
    assert_eq!(secret.stages_of(&second).await, [AWSCURRENT]);
    assert_eq!(secret.stages_of(&first).await, [AWSPREVIOUS]);
    assert_eq!(secret.source().load().await.expect("load"), after_second);
}

#[tokio::test]
async fn every_step_repeated_leaves_the_secret_as_the_first_run_did() {
    let secret = secret_holding("{}").await;
    let token = secret.start_rotation().await;
    let repeated = [
        StepOutcome::AlreadyCreated,
        StepOutcome::NothingToSet,
        StepOutcome::Tested,
        StepOutcome::AlreadyCurrent,
    ];
    for (step, again) in STEPS.into_iter().zip(repeated) {
        secret.step(&token, step).await.expect(step);
        let stages = secret.describe().await.version_ids_to_stages().cloned();
        let value = secret.token_value(&token).await;
        assert_eq!(
            secret.step(&token, step).await.expect(step),
            again,
            "{step}"
        );
        assert_eq!(
            secret.describe().await.version_ids_to_stages().cloned(),
            stages,
            "{step} again"
        );
        assert_eq!(secret.token_value(&token).await, value, "{step} again");
    }
    assert_eq!(secret.version_with(AWSCURRENT).await, Some(token));
}

#[tokio::test]
async fn an_authctl_rotation_during_a_pending_rotation_is_not_undone() {
    let initial = initial_document(ALG, now_unix()).expect("key set");
    let secret = secret_holding(&serde_json::to_string(&initial).expect("JSON")).await;
    let token = secret.start_rotation().await;
    secret.step(&token, "createSecret").await.expect("create");
    secret.step(&token, "setSecret").await.expect("set");

    // `authctl keys rotate`: load, rotate, save, through the functions' own source.
    let source = secret.source();
    let loaded = source.load().await.expect("load");
    let emergency = rotate(&loaded, ALG, now_unix(), RetirementWindow::default()).expect("rotate");
    source.save(&emergency).await.expect("save");
    let emergency_version = secret.version_with(AWSCURRENT).await.expect("a version");

    let error = secret
        .step(&token, "finishSecret")
        .await
        .expect_err("a stale pending key set");
    assert!(
        matches!(error, RotationError::CurrentChanged { .. }),
        "{error}"
    );
    assert_eq!(secret.source().load().await.expect("load"), emergency);
    assert_eq!(
        secret.version_with(AWSCURRENT).await,
        Some(emergency_version)
    );
    assert_eq!(
        secret.version_with(AWSPENDING).await,
        None,
        "withdrawn, so that the next rotation can start"
    );
    assert!(secret.step(&token, "finishSecret").await.is_err());

    secret.rotate_fully().await;
    let rotated = secret.source().load().await.expect("load");
    assert_eq!(
        kid(&rotated, KeyState::Current),
        kid(&emergency, KeyState::Next)
    );
    assert!(published(&rotated, &kid(&emergency, KeyState::Current)));
}

#[tokio::test]
async fn a_secret_without_rotation_enabled_is_refused() {
    let secret = secret_holding("{}").await;
    let token = format!("{:x<40}", unique_name("not-rotating"));
    secret
        .client
        .put_secret_value()
        .secret_id(&secret.id)
        .client_request_token(&token)
        .secret_string("{}")
        .version_stages(AWSPENDING)
        .send()
        .await
        .expect("put_secret_value");
    let error = secret
        .step(&token, "createSecret")
        .await
        .expect_err("rotation is not enabled");
    assert!(
        matches!(error, RotationError::RotationNotEnabled),
        "{error}"
    );
}

#[tokio::test]
async fn a_token_that_is_not_a_version_of_the_secret_is_refused() {
    let secret = secret_holding("{}").await;
    secret.start_rotation().await;
    let error = secret
        .step(&format!("{:x<40}", unique_name("unknown")), "createSecret")
        .await
        .expect_err("an unknown version");
    assert!(matches!(error, RotationError::UnknownVersion(_)), "{error}");
}
