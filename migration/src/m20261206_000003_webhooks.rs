//! Webhooks: endpoints, the outbox of events and one delivery row per event × endpoint.
//!
//! Events are written in the transaction that closes a poll, so an event exists exactly
//! when the close committed; the delivery rows are the durable queue the sender works
//! from, so nothing is lost across a restart. No foreign keys: deliveries are written
//! beside a poll's close (where a trigger per row would cost) and removed with their
//! endpoint by the one query that deletes it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoints {
    Table,
    Id,
    OwnerId,
    Url,
    Events,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEvents {
    Table,
    Id,
    EventType,
    PollId,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDeliveries {
    Table,
    Id,
    EventId,
    EndpointId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LeaseToken,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn instant(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn instant_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(uuid(WebhookEndpoints::OwnerId))
                    .col(text(WebhookEndpoints::Url))
                    .col(text(WebhookEndpoints::Events))
                    .col(text(WebhookEndpoints::Secret))
                    .col(instant(WebhookEndpoints::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(uuid(WebhookEvents::Id).primary_key())
                    .col(text(WebhookEvents::EventType))
                    .col(uuid(WebhookEvents::PollId))
                    .col(text(WebhookEvents::Payload))
                    .col(instant(WebhookEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(text(WebhookDeliveries::Status).check(
                        Expr::col(WebhookDeliveries::Status).is_in([
                            "pending",
                            "delivered",
                            "failed",
                        ]),
                    ))
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(instant(WebhookDeliveries::NextAttemptAt))
                    .col(instant_null(WebhookDeliveries::LeaseUntil))
                    .col(ColumnDef::new(WebhookDeliveries::LeaseToken).uuid().null())
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastStatusCode)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::LastError).text().null())
                    .col(instant(WebhookDeliveries::CreatedAt))
                    .col(instant_null(WebhookDeliveries::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        for index in [
            // The owner's endpoints.
            Index::create()
                .name("idx_webhook_endpoints_owner")
                .table(WebhookEndpoints::Table)
                .col(WebhookEndpoints::OwnerId)
                .to_owned(),
            // The sender's question: which pending deliveries are due?
            Index::create()
                .name("idx_webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
            // An endpoint's delivery log, newest first (ids are UUID v7).
            Index::create()
                .name("idx_webhook_deliveries_endpoint")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EndpointId)
                .col(WebhookDeliveries::Id)
                .to_owned(),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
