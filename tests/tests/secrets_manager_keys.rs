//! The Secrets Manager key source against moto: one secret per test.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::operation::create_secret::builders::CreateSecretFluentBuilder;
use aws_sdk_secretsmanager::primitives::Blob;
use integration_tests::moto_sdk_config;
use token_service::domain::time::now_unix;
use token_service::keys::source::secrets_manager::SecretsManagerKeySource;
use token_service::keys::{
    KeyCache, KeyError, KeySetDocument, KeySetSource, KeySetStore, KeyState, RetirementWindow,
    SigningAlgorithm, initial_document, rotate,
};
use token_service::testing::sole_key;
use token_service::testing::unique_name;

async fn moto_secrets() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&moto_sdk_config().await)
}

/// A source over a secret name no other test uses (the secret itself does not exist yet).
async fn fresh_source() -> (
    aws_sdk_secretsmanager::Client,
    String,
    SecretsManagerKeySource,
) {
    let client = moto_secrets().await;
    let secret_id = unique_name("keyset");
    let source = SecretsManagerKeySource::new(client.clone(), secret_id.clone());
    (client, secret_id, source)
}

/// A source over a secret created beforehand, as infrastructure or an operator would:
/// `content` sets its SecretString or SecretBinary.
async fn source_over_existing_secret(
    content: impl FnOnce(CreateSecretFluentBuilder) -> CreateSecretFluentBuilder,
) -> SecretsManagerKeySource {
    let (client, secret_id, source) = fresh_source().await;
    content(client.create_secret().name(&secret_id))
        .send()
        .await
        .expect("create_secret");
    source
}

fn current_kid(document: &KeySetDocument) -> &str {
    &sole_key(document, KeyState::Current).kid
}

async fn current_version_id(client: &aws_sdk_secretsmanager::Client, secret_id: &str) -> String {
    client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .expect("get_secret_value")
        .version_id()
        .expect("a version id")
        .to_string()
}

#[tokio::test]
async fn load_of_a_missing_secret_is_missing() {
    let (_, _, source) = fresh_source().await;
    let result = source.load().await;
    assert!(
        matches!(result, Err(KeyError::Missing)),
        "expected Missing, got {result:?}"
    );
}

#[tokio::test]
async fn save_creates_the_secret_and_load_returns_the_same_document() {
    let (client, secret_id, source) = fresh_source().await;
    let document = initial_document(SigningAlgorithm::ES256, now_unix()).expect("key set");

    source
        .save(&document)
        .await
        .expect("save creates the secret");

    assert_eq!(source.load().await.expect("load"), document);
    // The secret holds the document as its SecretString, as the Lambda functions read it.
    let stored = client
        .get_secret_value()
        .secret_id(&secret_id)
        .send()
        .await
        .expect("get_secret_value");
    let parsed: KeySetDocument =
        serde_json::from_str(stored.secret_string().expect("a SecretString")).expect("JSON");
    assert_eq!(parsed, document);
}

#[tokio::test]
async fn a_second_save_puts_a_new_version_and_load_returns_the_rotated_document() {
    let (client, secret_id, source) = fresh_source().await;
    let first = initial_document(SigningAlgorithm::ES256, now_unix()).expect("key set");
    source.save(&first).await.expect("first save");
    let first_version = current_version_id(&client, &secret_id).await;

    let rotated = rotate(
        &first,
        SigningAlgorithm::ES256,
        now_unix(),
        RetirementWindow::default(),
    )
    .expect("rotate");
    assert_ne!(current_kid(&rotated), current_kid(&first));
    source.save(&rotated).await.expect("second save");

    assert_eq!(source.load().await.expect("load"), rotated);
    let second_version = current_version_id(&client, &secret_id).await;
    assert_ne!(
        second_version, first_version,
        "the second save must put a new version, not recreate or overwrite in place"
    );
    let versions = client
        .list_secret_version_ids()
        .secret_id(&secret_id)
        .send()
        .await
        .expect("list_secret_version_ids");
    let stages_of = |version: &str| -> Vec<String> {
        versions
            .versions()
            .iter()
            .find(|v| v.version_id() == Some(version))
            .unwrap_or_else(|| panic!("version {version} is listed"))
            .version_stages()
            .to_vec()
    };
    assert!(stages_of(&second_version).contains(&"AWSCURRENT".to_string()));
    assert!(stages_of(&first_version).contains(&"AWSPREVIOUS".to_string()));
}

#[tokio::test]
async fn a_secret_that_is_not_a_key_set_is_invalid() {
    for not_a_key_set in [
        "not json at all",
        r#"{"keys": "nope"}"#,
        r#"{"keys": [{"kid": "k-1", "alg": "XS999", "state": "current", "private_key_pem": ""}]}"#,
        r#"["a", "list"]"#,
    ] {
        let source =
            source_over_existing_secret(|secret| secret.secret_string(not_a_key_set)).await;
        let result = source.load().await;
        assert!(
            matches!(result, Err(KeyError::Invalid(_))),
            "{not_a_key_set:?}: expected Invalid, got {result:?}"
        );
    }
}

#[tokio::test]
async fn a_secret_without_a_secret_string_is_invalid() {
    let source = source_over_existing_secret(|secret| {
        secret.secret_binary(Blob::new(b"\x00\x01binary".to_vec()))
    })
    .await;
    let result = source.load().await;
    assert!(
        matches!(result, Err(KeyError::Invalid(_))),
        "expected Invalid, got {result:?}"
    );
}

/// Infrastructure may create the secret with an empty placeholder before any key exists.
#[tokio::test]
async fn an_empty_placeholder_secret_is_missing_until_a_key_set_is_saved() {
    let source = source_over_existing_secret(|secret| secret.secret_string("{}")).await;
    let result = source.load().await;
    assert!(
        matches!(result, Err(KeyError::Missing)),
        "expected Missing, got {result:?}"
    );

    let document = initial_document(SigningAlgorithm::ES256, now_unix()).expect("key set");
    source
        .save(&document)
        .await
        .expect("save over the placeholder");
    assert_eq!(source.load().await.expect("load"), document);
}

#[tokio::test]
async fn a_key_cache_over_the_secret_signs_with_the_current_key() {
    let (client, secret_id, source) = fresh_source().await;
    let document = initial_document(SigningAlgorithm::ES256, now_unix()).expect("key set");
    source.save(&document).await.expect("save");

    let cache = KeyCache::new(
        Arc::new(SecretsManagerKeySource::new(client, secret_id)),
        Duration::from_secs(300),
    );
    let keys = cache.current().await.expect("the cache loads the key set");
    assert_eq!(keys.signer().kid(), current_kid(&document));
    assert_eq!(keys.signer().alg(), SigningAlgorithm::ES256);

    // After a rotation is saved, a token naming the new kid makes the cache reload.
    let rotated = rotate(
        &document,
        SigningAlgorithm::ES256,
        now_unix(),
        RetirementWindow::default(),
    )
    .expect("rotate");
    source.save(&rotated).await.expect("save the rotation");
    let reloaded = cache
        .refresh_for_unknown_kid()
        .await
        .expect("the cache reloads the key set");
    assert_eq!(reloaded.signer().kid(), current_kid(&rotated));
    assert!(
        reloaded.verification_key(current_kid(&document)).is_some(),
        "the previous key still verifies"
    );
}
