//! Publicly known key pairs for demos and tests (the ones in `shared/alipay/`, generated for testing).
//! They protect nothing: never configure them for real money.

use coffer_alipay::{MerchantConfig, PrivateKey, PublicKey};

use crate::state::SandboxConfig;

/// The demo merchant's application id.
pub const APP_ID: &str = "2021000000000001";
/// The demo merchant's PID.
pub const SELLER_ID: &str = "2088000000000001";
/// The demo merchant's private key (PKCS#8 PEM).
pub const APP_PRIVATE_KEY_PEM: &str = include_str!("../keys/app_private_key_pkcs8.pem");
/// The demo merchant's public key (SPKI PEM), configured in the sandbox.
pub const APP_PUBLIC_KEY_PEM: &str = include_str!("../keys/app_public_key.pem");
/// The sandbox's "Alipay" private key (PKCS#8 PEM).
pub const SANDBOX_PRIVATE_KEY_PEM: &str = include_str!("../keys/sim_alipay_private_key_pkcs8.pem");
/// The sandbox's "Alipay" public key (SPKI PEM), configured in the merchant.
pub const SANDBOX_PUBLIC_KEY_PEM: &str = include_str!("../keys/sim_alipay_public_key.pem");

/// The sandbox configuration for the demo merchant, reachable at `base_url`.
pub fn sandbox_config(base_url: &str) -> SandboxConfig {
    SandboxConfig {
        app_id: APP_ID.into(),
        seller_id: SELLER_ID.into(),
        app_public_key: parse_public(APP_PUBLIC_KEY_PEM),
        sandbox_private_key: parse_private(SANDBOX_PRIVATE_KEY_PEM),
        base_url: base_url.trim_end_matches('/').into(),
    }
}

/// The demo merchant's configuration against a sandbox at `sandbox_base_url`.
pub fn merchant_config(sandbox_base_url: &str, notify_url: &str, return_url: &str) -> MerchantConfig {
    MerchantConfig {
        app_id: APP_ID.into(),
        seller_id: SELLER_ID.into(),
        gateway_url: format!("{}/gateway.do", sandbox_base_url.trim_end_matches('/')),
        notify_url: notify_url.into(),
        return_url: return_url.into(),
        app_private_key: parse_private(APP_PRIVATE_KEY_PEM),
        alipay_public_key: parse_public(SANDBOX_PUBLIC_KEY_PEM),
    }
}

// The embedded keys are fixed files checked by this crate's tests, so parsing them cannot fail at run time.
fn parse_private(pem: &str) -> PrivateKey {
    PrivateKey::parse(pem).expect("embedded demo private key")
}

fn parse_public(pem: &str) -> PublicKey {
    PublicKey::parse(pem).expect("embedded demo public key")
}
