//! Users in memory.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

use super::lock;
use crate::domain::user::normalize_email;
use crate::domain::{LoginFailures, PasswordHash, User};
use crate::store::{StoreError, UserAccounts, UserStore, validated_user};

#[derive(Default)]
pub struct MemoryUserStore {
    users: Mutex<BTreeMap<String, User>>,
}

impl MemoryUserStore {
    fn update<T>(
        &self,
        user_id: &str,
        change: impl FnOnce(&mut User) -> T,
    ) -> Result<T, StoreError> {
        let mut users = lock(&self.users);
        let user = users.get_mut(user_id).ok_or(StoreError::NotFound)?;
        Ok(change(user))
    }
}

#[async_trait]
impl UserAccounts for MemoryUserStore {
    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        Ok(lock(&self.users).get(user_id).cloned())
    }

    async fn find_by_email(
        &self,
        labelpartner: &str,
        normalized_email: &str,
    ) -> Result<Option<User>, StoreError> {
        Ok(lock(&self.users)
            .values()
            .find(|u| u.labelpartner == labelpartner && u.normalized_email() == normalized_email)
            .cloned())
    }

    async fn record_login_failure(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<LoginFailures, StoreError> {
        self.update(user_id, |u| {
            u.login_failures.count = u.login_failures.count.saturating_add(1);
            u.login_failures.last_failed_at = now;
            u.login_failures
        })
    }

    async fn reset_login_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.update(user_id, |u| u.login_failures = LoginFailures::default())
    }

    async fn upgrade_password_hash(
        &self,
        user_id: &str,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, StoreError> {
        self.update(user_id, |u| {
            let still_current = u.password_hash == *current;
            if still_current {
                u.password_hash = upgraded.clone();
            }
            still_current
        })
    }
}

#[async_trait]
impl UserStore for MemoryUserStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        validated_user(user)?;
        let mut users = lock(&self.users);
        let email = user.normalized_email();
        let taken = users.contains_key(&user.user_id)
            || users
                .values()
                .any(|u| u.labelpartner == user.labelpartner && u.normalized_email() == email);
        if taken {
            return Err(StoreError::AlreadyExists);
        }
        users.insert(user.user_id.clone(), user.clone());
        Ok(())
    }

    async fn list_users(&self, labelpartner: &str) -> Result<Vec<User>, StoreError> {
        let mut users: Vec<User> = lock(&self.users)
            .values()
            .filter(|u| u.labelpartner == labelpartner)
            .cloned()
            .collect();
        users.sort_by_key(|u| normalize_email(&u.email));
        Ok(users)
    }

    async fn set_password(
        &self,
        user_id: &str,
        hash: &PasswordHash,
        now: i64,
    ) -> Result<(), StoreError> {
        self.update(user_id, |u| {
            u.password_hash = hash.clone();
            u.password_changed_at = now;
            u.login_failures = LoginFailures::default();
            u.session_epoch += 1;
        })
    }

    async fn set_enabled(&self, user_id: &str, enabled: bool) -> Result<(), StoreError> {
        self.update(user_id, |u| {
            u.enabled = enabled;
            if !enabled {
                u.session_epoch += 1;
            }
        })
    }

    async fn revoke_sessions(&self, user_id: &str) -> Result<(), StoreError> {
        self.update(user_id, |u| {
            u.session_epoch += 1;
            u.login_failures = LoginFailures::default();
        })
    }

    async fn unlock(&self, user_id: &str) -> Result<(), StoreError> {
        self.update(user_id, |u| u.login_failures = LoginFailures::default())
    }

    async fn revoke_tokens(&self, user_id: &str, now: i64) -> Result<i64, StoreError> {
        self.update(user_id, |u| {
            let cut_off = u.tokens_not_before.map_or(now, |earlier| earlier.max(now));
            u.tokens_not_before = Some(cut_off);
            cut_off
        })
    }
}
