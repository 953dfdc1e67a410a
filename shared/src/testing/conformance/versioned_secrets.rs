//! The [`VersionedSecret`] suite: the label rules of Secrets Manager the rotation steps rely on,
//! written once for the in-memory secret and the Secrets Manager adapter (on moto), so that the
//! unit tests of the steps run against the behaviour the real service has. Each behaviour gets
//! a secret of its own, as a rotation finds it: version [`SecretUnderTest::current`] holding
//! `{}` as AWSCURRENT, and version [`SecretUnderTest::token`] created by `RotateSecret`, without
//! a value, labelled AWSPENDING.

use std::any::Any;
use std::sync::Arc;

use crate::keys::rotation::VersionedSecret;
use crate::keys::rotation::port::{AWSCURRENT, AWSPENDING, AWSPREVIOUS};

/// Expands into a module `versioned_secret_conformance` with one test per behaviour of the
/// [`VersionedSecret`] port; see [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! versioned_secret_conformance {
    ($make:expr) => {
        $crate::__conformance_suite!(versioned_secret_conformance,
            versioned_secrets: SecretUnderTest, $make;
            describe_lists_every_version_with_its_labels,
            awscurrent_reads_by_stage_with_its_version_id,
            the_pending_version_has_no_value_until_it_is_put,
            a_version_that_does_not_exist_reads_as_none,
            put_version_gives_the_token_its_value_and_leaves_awscurrent,
            a_version_read_with_a_label_it_does_not_hold_is_never_read,
            moving_awscurrent_labels_the_old_version_awsprevious_and_reads_follow,
            awscurrent_moves_only_from_the_version_that_holds_it,
            a_label_can_be_removed_from_its_version,
        );
    };
}

/// One secret as a rotation finds it, and whatever must outlive it.
pub struct SecretUnderTest {
    secret: Arc<dyn VersionedSecret>,
    secret_id: String,
    current: String,
    token: String,
    _keep: Box<dyn Any + Send + Sync>,
}

impl SecretUnderTest {
    pub fn new(
        secret: Arc<dyn VersionedSecret>,
        secret_id: impl Into<String>,
        current: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        SecretUnderTest {
            secret,
            secret_id: secret_id.into(),
            current: current.into(),
            token: token.into(),
            _keep: Box::new(()),
        }
    }

    /// The AWSCURRENT version, holding `{}`.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// The AWSPENDING version without a value.
    pub fn token(&self) -> &str {
        &self.token
    }

    async fn stages_of(&self, version: &str) -> Vec<String> {
        let metadata = self
            .secret
            .describe(&self.secret_id)
            .await
            .expect("describe");
        let mut stages = metadata.versions.get(version).cloned().unwrap_or_default();
        stages.sort();
        stages
    }

    async fn value_of_stage(&self, stage: &str) -> Option<(String, String)> {
        self.secret
            .get_by_stage(&self.secret_id, stage)
            .await
            .expect("get_by_stage")
            .map(|v| (v.version_id, v.secret_string))
    }

    async fn put_pending(&self, value: &str) {
        self.secret
            .put_version(&self.secret_id, &self.token, value, AWSPENDING)
            .await
            .expect("put_version");
    }
}

const PENDING_VALUE: &str = r#"{"keys":[]}"#;

pub async fn describe_lists_every_version_with_its_labels(s: &SecretUnderTest) {
    let metadata = s.secret.describe(&s.secret_id).await.expect("describe");
    assert!(metadata.rotation_enabled);
    assert_eq!(metadata.version_with(AWSCURRENT), Some(s.current()));
    assert_eq!(metadata.version_with(AWSPENDING), Some(s.token()));
    assert!(metadata.has_stage(s.token(), AWSPENDING));
    assert!(!metadata.has_stage(s.token(), AWSCURRENT));
}

pub async fn awscurrent_reads_by_stage_with_its_version_id(s: &SecretUnderTest) {
    assert_eq!(
        s.value_of_stage(AWSCURRENT).await,
        Some((s.current().to_string(), "{}".to_string()))
    );
}

pub async fn the_pending_version_has_no_value_until_it_is_put(s: &SecretUnderTest) {
    let read = s
        .secret
        .get_version(&s.secret_id, s.token(), AWSPENDING)
        .await
        .expect("a version without a value is no error");
    assert_eq!(read, None);
    assert_eq!(s.value_of_stage(AWSPENDING).await, None);
}

pub async fn a_version_that_does_not_exist_reads_as_none(s: &SecretUnderTest) {
    let read = s
        .secret
        .get_version(
            &s.secret_id,
            "00000000-0000-0000-0000-000000000000",
            AWSPENDING,
        )
        .await
        .expect("an unknown version is no error");
    assert_eq!(read, None);
}

pub async fn put_version_gives_the_token_its_value_and_leaves_awscurrent(s: &SecretUnderTest) {
    s.put_pending(PENDING_VALUE).await;
    let read = s
        .secret
        .get_version(&s.secret_id, s.token(), AWSPENDING)
        .await
        .expect("get_version")
        .expect("the value just put");
    assert_eq!(read.version_id, s.token());
    assert_eq!(read.secret_string, PENDING_VALUE);
    assert_eq!(s.stages_of(s.token()).await, [AWSPENDING]);
    assert_eq!(s.stages_of(s.current()).await, [AWSCURRENT]);
    assert_eq!(
        s.value_of_stage(AWSCURRENT).await,
        Some((s.current().to_string(), "{}".to_string()))
    );
}

/// Never this version's value under a label it does not hold (Secrets Manager refuses the
/// read; the port may answer `None` or an error).
pub async fn a_version_read_with_a_label_it_does_not_hold_is_never_read(s: &SecretUnderTest) {
    s.put_pending(PENDING_VALUE).await;
    let read = s
        .secret
        .get_version(&s.secret_id, s.token(), AWSCURRENT)
        .await;
    assert!(!matches!(read, Ok(Some(_))), "{read:?}");
}

/// What moto gets wrong when a read names no stage: after the move, AWSCURRENT is the token.
pub async fn moving_awscurrent_labels_the_old_version_awsprevious_and_reads_follow(
    s: &SecretUnderTest,
) {
    s.put_pending(PENDING_VALUE).await;
    s.secret
        .move_stage(&s.secret_id, AWSCURRENT, Some(s.current()), Some(s.token()))
        .await
        .expect("move AWSCURRENT");
    assert_eq!(s.stages_of(s.token()).await, [AWSCURRENT, AWSPENDING]);
    assert_eq!(s.stages_of(s.current()).await, [AWSPREVIOUS]);
    assert_eq!(
        s.value_of_stage(AWSCURRENT).await,
        Some((s.token().to_string(), PENDING_VALUE.to_string()))
    );
    assert_eq!(
        s.value_of_stage(AWSPREVIOUS).await,
        Some((s.current().to_string(), "{}".to_string()))
    );
}

/// The guard `finishSecret` relies on: a write that moved AWSCURRENT since the step read it
/// makes the move fail instead of being overwritten.
pub async fn awscurrent_moves_only_from_the_version_that_holds_it(s: &SecretUnderTest) {
    s.put_pending(PENDING_VALUE).await;
    let moved = s
        .secret
        .move_stage(&s.secret_id, AWSCURRENT, Some(s.token()), Some(s.token()))
        .await;
    assert!(moved.is_err(), "the token does not hold AWSCURRENT");
    assert_eq!(s.stages_of(s.current()).await, [AWSCURRENT]);
    assert_eq!(s.stages_of(s.token()).await, [AWSPENDING]);
}

pub async fn a_label_can_be_removed_from_its_version(s: &SecretUnderTest) {
    s.put_pending(PENDING_VALUE).await;
    s.secret
        .move_stage(&s.secret_id, AWSPENDING, Some(s.token()), None)
        .await
        .expect("remove AWSPENDING");
    let metadata = s.secret.describe(&s.secret_id).await.expect("describe");
    assert_eq!(metadata.version_with(AWSPENDING), None);
    assert_eq!(metadata.version_with(AWSCURRENT), Some(s.current()));
}
