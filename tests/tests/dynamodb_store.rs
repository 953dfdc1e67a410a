//! The client store conformance suite against the DynamoDB adapter on moto. All tests share one
//! table per run of this binary; their client ids are unique.

use integration_tests::conformance::StoreUnderTest;
use integration_tests::dynamodb::{moto_dynamodb_store, shared_clients_table};

async fn moto_store() -> StoreUnderTest {
    StoreUnderTest::new(moto_dynamodb_store(shared_clients_table()).await)
}

integration_tests::client_store_conformance!(moto_store());
