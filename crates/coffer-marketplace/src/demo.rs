//! Wiring for tests and `coffer serve --demo`: every adapter pointed at one simulator.

use std::sync::Arc;

use coffer_app::marketplace::Marketplaces;
use coffer_core::workspace::CloudProvider;

use crate::{AliyunMarketplace, AwsMarketplace, AzureMarketplace, HuaweiMarketplace};

/// The AWS product code the demo meters under.
pub const AWS_PRODUCT_CODE: &str = "coffer-demo-product";
/// The Azure plan the demo meters under.
pub const AZURE_PLAN_ID: &str = "coffer-demo-plan";

/// All four adapters for a simulator whose [`crate::router`] is reachable at
/// `sim_base_url` (no trailing slash), e.g. `http://127.0.0.1:8080/marketplace-sim`.
pub fn marketplaces(sim_base_url: &str) -> Marketplaces {
    let base = sim_base_url.trim_end_matches('/');
    Marketplaces::new()
        .with(CloudProvider::Aws, Arc::new(AwsMarketplace::new(&format!("{base}/aws"), AWS_PRODUCT_CODE)))
        .with(CloudProvider::Aliyun, Arc::new(AliyunMarketplace::new(&format!("{base}/aliyun"))))
        .with(CloudProvider::Huawei, Arc::new(HuaweiMarketplace::new(&format!("{base}/huawei"))))
        .with(CloudProvider::Azure, Arc::new(AzureMarketplace::new(&format!("{base}/azure"), AZURE_PLAN_ID)))
}
