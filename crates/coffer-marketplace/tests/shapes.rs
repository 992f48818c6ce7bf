//! The request each adapter builds, pinned field by field: the shapes modelled on
//! each provider's public API (see the adapter module docs).

use coffer_app::marketplace::UsageRecord;
use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::money::Currency;
use coffer_core::policy::Category;
use coffer_core::time::{Date, Timestamp};
use coffer_core::workspace::CloudProvider;
use coffer_marketplace::{AliyunMarketplace, AwsMarketplace, AzureMarketplace, HuaweiMarketplace};
use serde_json::{json, to_value, Value};

fn record() -> UsageRecord {
    UsageRecord {
        usage_record_id: "coffer-42-usage".into(),
        provider: CloudProvider::Aws,
        cloud_account_id: "cust-9".into(),
        amount_minor: 12_345,
        currency: Currency::Cny,
        account_id: AccountId(3),
        charge_id: ChargeId(42),
        workspace_id: "w1".into(),
        category: Category::Sms,
        bill_date: Date::new(2026, 11, 25).unwrap_or_else(|| panic!("date")),
        // 2026-11-26T02:00:00Z
        usage_at: Timestamp(1_795_658_400_000),
    }
}

fn value<T: serde::Serialize>(t: T) -> Value {
    to_value(t).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn aws_sends_a_batch_meter_usage_record_tagged_with_the_usage_record_id() {
    let request = AwsMarketplace::new("http://x", "prod-1").request(&record());
    let expected = json!({"ProductCode": "prod-1", "UsageRecords": [{
        "Timestamp": 1_795_658_400, "CustomerIdentifier": "cust-9", "Dimension": "sms", "Quantity": 12_345,
        "UsageAllocations": [{"AllocatedUsageQuantity": 12_345,
            "Tags": [{"Key": "coffer_usage_record_id", "Value": "coffer-42-usage"}]}]}]});
    assert_eq!(value(request), expected);
}

#[test]
fn azure_sends_a_usage_event_for_the_resource_and_plan() {
    let request = AzureMarketplace::new("http://x", "plan-1").request(&record());
    let expected = json!({"resourceId": "cust-9", "quantity": 12_345.0, "dimension": "sms",
        "effectiveStartTime": "2026-11-26T02:00:00Z", "planId": "plan-1"});
    assert_eq!(value(request), expected);
}

#[test]
fn aliyun_sends_push_metering_data_entities_for_the_instance() {
    let request = AliyunMarketplace::new("http://x").request(&record());
    let expected = json!([{"InstanceId": "cust-9", "StartTime": 1_795_658_400, "EndTime": 1_795_658_400,
        "Entities": [{"Key": "Amount", "Value": "12345"}, {"Key": "Dimension", "Value": "sms"},
            {"Key": "UsageRecordId", "Value": "coffer-42-usage"}]}]);
    assert_eq!(value(request), expected);
}

#[test]
fn huawei_sends_a_usage_report_record_in_minor_units() {
    let request = HuaweiMarketplace::new("http://x").request(&record());
    let expected = json!({"instanceId": "cust-9", "records": [{"recordId": "coffer-42-usage",
        "meteringItem": "sms", "quantity": "12345", "unit": "minor",
        "beginTime": "20261126T020000Z", "endTime": "20261126T020000Z"}]});
    assert_eq!(value(request), expected);
}
