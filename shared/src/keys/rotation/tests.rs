//! Every step over the in-memory secret, and each step's retry.

use std::sync::Arc;

use super::port::{AWSCURRENT, AWSPENDING, AWSPREVIOUS};
use super::*;
use crate::domain::time::now_unix;
use crate::keys::{
    KeySet, KeySetDocument, KeyState, RetirementWindow, SigningAlgorithm, initial_document, rotate,
};
use crate::testing::sole_key;

const ALG: SigningAlgorithm = SigningAlgorithm::EdDSA;
const SECRET: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys";
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

struct Fixture {
    secret: Arc<InMemorySecret>,
    rotation: KeyRotation,
}

/// A secret holding `value` as AWSCURRENT version "v0", rotation enabled.
fn fixture(value: &str) -> Fixture {
    let secret = Arc::new(InMemorySecret::new("v0", value));
    secret.enable_rotation();
    let rotation = KeyRotation::new(secret.clone(), ALG, RetirementWindow::default());
    Fixture { secret, rotation }
}

fn with_key_set(document: &KeySetDocument) -> Fixture {
    fixture(&serde_json::to_string(document).unwrap())
}

impl Fixture {
    async fn step(&self, token: &str, step: &str) -> Result<StepOutcome, RotationError> {
        self.rotation.run(SECRET, token, step, now_unix()).await
    }

    async fn rotate_fully(&self, token: &str) {
        self.secret.start_rotation(token);
        for step in STEPS {
            self.step(token, step).await.unwrap();
        }
    }

    async fn stages(&self) -> SecretMetadata {
        self.secret.describe(SECRET).await.unwrap()
    }

    async fn document(&self, stage: &str) -> KeySetDocument {
        let version = self.secret.get_by_stage(SECRET, stage).await.unwrap();
        KeySetDocument::from_json(version.unwrap().secret_string.as_bytes(), stage).unwrap()
    }
}

fn kid(document: &KeySetDocument, state: KeyState) -> String {
    sole_key(document, state).kid.clone()
}

#[tokio::test]
async fn the_first_rotation_of_the_empty_secret_creates_a_signing_and_a_next_key() {
    let f = fixture("{}");
    f.rotate_fully("t1").await;
    assert_eq!(f.stages().await.version_with(AWSCURRENT), Some("t1"));
    let document = f.document(AWSCURRENT).await;
    KeySet::from_document(&document).unwrap();
    kid(&document, KeyState::Current);
    kid(&document, KeyState::Next);
}

#[tokio::test]
async fn a_rotation_promotes_the_published_next_key_and_publishes_a_new_one() {
    let initial = initial_document(ALG, now_unix()).unwrap();
    let f = with_key_set(&initial);
    f.rotate_fully("t1").await;

    let rotated = f.document(AWSCURRENT).await;
    assert_eq!(
        kid(&rotated, KeyState::Current),
        kid(&initial, KeyState::Next)
    );
    assert_eq!(
        kid(&rotated, KeyState::Previous),
        kid(&initial, KeyState::Current)
    );
    assert_ne!(kid(&rotated, KeyState::Next), kid(&initial, KeyState::Next));
    let stages = f.stages().await;
    assert_eq!(stages.version_with(AWSCURRENT), Some("t1"));
    assert_eq!(stages.version_with(AWSPREVIOUS), Some("v0"));

    f.rotate_fully("t2").await;
    let again = f.document(AWSCURRENT).await;
    assert_eq!(
        kid(&again, KeyState::Current),
        kid(&rotated, KeyState::Next)
    );
    assert_eq!(f.stages().await.version_with(AWSPREVIOUS), Some("t1"));
}

#[tokio::test]
async fn create_stages_the_rotation_as_awspending_and_leaves_awscurrent() {
    let initial = initial_document(ALG, now_unix()).unwrap();
    let f = with_key_set(&initial);
    f.secret.start_rotation("t1");
    assert_eq!(
        f.step("t1", "createSecret").await.unwrap(),
        StepOutcome::Created
    );
    let stages = f.stages().await;
    assert_eq!(stages.version_with(AWSCURRENT), Some("v0"));
    assert_eq!(stages.version_with(AWSPENDING), Some("t1"));
    assert_eq!(f.document(AWSCURRENT).await, initial);
    let pending = f.document(AWSPENDING).await;
    assert_eq!(
        kid(&pending, KeyState::Current),
        kid(&initial, KeyState::Next)
    );
}

#[tokio::test]
async fn every_step_run_twice_gives_the_same_result() {
    let f = with_key_set(&initial_document(ALG, now_unix()).unwrap());
    f.secret.start_rotation("t1");
    let expected = [
        (StepOutcome::Created, StepOutcome::AlreadyCreated),
        (StepOutcome::NothingToSet, StepOutcome::NothingToSet),
        (StepOutcome::Tested, StepOutcome::Tested),
        (StepOutcome::Promoted, StepOutcome::AlreadyCurrent),
    ];
    for (step, (first, second)) in STEPS.into_iter().zip(expected) {
        assert_eq!(f.step("t1", step).await.unwrap(), first, "{step}");
        let after_first = (f.stages().await, f.document(AWSCURRENT).await);
        assert_eq!(f.step("t1", step).await.unwrap(), second, "{step} again");
        assert_eq!(
            (f.stages().await, f.document(AWSCURRENT).await),
            after_first,
            "{step} again changes nothing"
        );
    }
    let stages = f.stages().await;
    assert_eq!(stages.versions["t1"], vec![AWSCURRENT.to_string()]);
    assert_eq!(stages.versions["v0"], vec![AWSPREVIOUS.to_string()]);
}

#[tokio::test]
async fn a_retried_create_keeps_the_keys_it_made_first() {
    let f = with_key_set(&initial_document(ALG, now_unix()).unwrap());
    f.secret.start_rotation("t1");
    f.step("t1", "createSecret").await.unwrap();
    let first = f.document(AWSPENDING).await;
    f.step("t1", "createSecret").await.unwrap();
    assert_eq!(f.document(AWSPENDING).await, first);
}

#[tokio::test]
async fn an_unknown_step_is_an_error() {
    let f = fixture("{}");
    f.secret.start_rotation("t1");
    let error = f.step("t1", "deleteSecret").await.unwrap_err();
    assert!(matches!(error, RotationError::UnknownStep(_)), "{error}");
}

#[tokio::test]
async fn a_token_that_is_not_a_version_of_the_secret_is_an_error() {
    let f = fixture("{}");
    f.secret.start_rotation("t1");
    for step in STEPS {
        let error = f.step("no-such-version", step).await.unwrap_err();
        assert!(matches!(error, RotationError::UnknownVersion(_)), "{error}");
    }
}

#[tokio::test]
async fn a_secret_without_rotation_enabled_is_refused() {
    let secret = Arc::new(InMemorySecret::new("v0", "{}"));
    secret.start_rotation("t1");
    let rotation = KeyRotation::new(secret.clone(), ALG, RetirementWindow::default());
    let error = rotation
        .run(SECRET, "t1", "createSecret", now_unix())
        .await
        .unwrap_err();
    assert!(
        matches!(error, RotationError::RotationNotEnabled),
        "{error}"
    );
}

#[tokio::test]
async fn a_version_that_is_not_awspending_is_refused() {
    let f = with_key_set(&initial_document(ALG, now_unix()).unwrap());
    f.rotate_fully("t1").await;
    f.rotate_fully("t2").await;
    // t1 is AWSPREVIOUS now: neither this rotation's version nor the current one.
    for step in STEPS {
        let error = f.step("t1", step).await.unwrap_err();
        assert!(matches!(error, RotationError::NotPending(_)), "{error}");
    }
}

#[tokio::test]
async fn test_and_finish_before_create_are_errors() {
    let f = with_key_set(&initial_document(ALG, now_unix()).unwrap());
    f.secret.start_rotation("t1");
    for step in ["testSecret", "finishSecret"] {
        let error = f.step("t1", step).await.unwrap_err();
        assert!(matches!(error, RotationError::NoPendingValue(_)), "{error}");
    }
    assert_eq!(f.stages().await.version_with(AWSCURRENT), Some("v0"));
}

/// A rotation `t1` whose createSecret ran, then an emergency `authctl keys rotate` that wrote
/// a new AWSCURRENT (`v-authctl`) while it was pending: the fixture and the emergency key set.
async fn emergency_write_during_a_rotation() -> (Fixture, KeySetDocument) {
    let initial = initial_document(ALG, now_unix()).unwrap();
    let f = with_key_set(&initial);
    f.secret.start_rotation("t1");
    f.step("t1", "createSecret").await.unwrap();
    let emergency = rotate(&initial, ALG, now_unix(), RetirementWindow::default()).unwrap();
    f.secret
        .put_current("v-authctl", &serde_json::to_string(&emergency).unwrap());
    (f, emergency)
}

#[tokio::test]
async fn a_key_set_written_during_the_rotation_is_not_undone() {
    let (f, emergency) = emergency_write_during_a_rotation().await;

    let error = f.step("t1", "finishSecret").await.unwrap_err();
    assert!(
        matches!(error, RotationError::CurrentChanged { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("v-authctl"), "{error}");
    let stages = f.stages().await;
    assert_eq!(stages.version_with(AWSCURRENT), Some("v-authctl"));
    assert_eq!(stages.version_with(AWSPENDING), None, "withdrawn");
    assert_eq!(f.document(AWSCURRENT).await, emergency);
    // A retry of the failed rotation cannot promote it either.
    assert!(f.step("t1", "finishSecret").await.is_err());

    // The next rotation starts from the emergency key set.
    f.rotate_fully("t2").await;
    let rotated = f.document(AWSCURRENT).await;
    assert_eq!(
        kid(&rotated, KeyState::Current),
        kid(&emergency, KeyState::Next)
    );
}

#[tokio::test]
async fn test_secret_also_refuses_a_rotation_from_an_older_key_set() {
    let (f, _) = emergency_write_during_a_rotation().await;
    let error = f.step("t1", "testSecret").await.unwrap_err();
    assert!(
        matches!(error, RotationError::CurrentChanged { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_previous_key_retires_only_after_its_window() {
    let window = RetirementWindow::default();
    let start = now_unix() - window.seconds() - 60;
    // A key set rotated one window and a minute ago: its previous key may go now.
    let old = rotate(&initial_document(ALG, start).unwrap(), ALG, start, window).unwrap();
    let old_previous = kid(&old, KeyState::Previous);
    let f = with_key_set(&old);
    f.rotate_fully("t1").await;
    let rotated = f.document(AWSCURRENT).await;
    let keys = KeySet::from_document(&rotated).unwrap();
    assert!(keys.verification_key(&old_previous).is_none());
    assert!(
        keys.verification_key(&kid(&old, KeyState::Current))
            .is_some(),
        "it stopped signing just now"
    );
}

#[tokio::test]
async fn a_change_of_algorithm_signs_with_the_published_key_first() {
    let initial = initial_document(ALG, now_unix()).unwrap();
    let secret = Arc::new(InMemorySecret::new(
        "v0",
        &serde_json::to_string(&initial).unwrap(),
    ));
    secret.enable_rotation();
    let es256 = KeyRotation::new(
        secret.clone(),
        SigningAlgorithm::ES256,
        RetirementWindow::default(),
    );
    for token in ["t1", "t2"] {
        secret.start_rotation(token);
        for step in STEPS {
            es256.run(SECRET, token, step, now_unix()).await.unwrap();
        }
    }
    let f = Fixture {
        secret,
        rotation: es256,
    };
    let twice = f.document(AWSCURRENT).await;
    assert_eq!(
        sole_key(&twice, KeyState::Current).alg,
        SigningAlgorithm::ES256
    );
    let published_next = kid(&initial, KeyState::Next);
    let signed_in_between = twice.keys.iter().find(|k| k.kid == published_next);
    let signed_in_between = signed_in_between.expect("still published");
    assert_eq!(signed_in_between.state, KeyState::Previous);
    assert_eq!(
        signed_in_between.alg, ALG,
        "the published EdDSA key signed first"
    );
}
