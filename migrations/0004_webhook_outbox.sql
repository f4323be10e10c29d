CREATE TABLE `webhook_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claim` text,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "webhook_outbox_status" CHECK("webhook_outbox"."status" in ('pending', 'delivered', 'failed')),
	CONSTRAINT "webhook_outbox_attempts_non_negative" CHECK("webhook_outbox"."attempts" >= 0)
);
--> statement-breakpoint
CREATE INDEX `webhook_outbox_due` ON `webhook_outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_outbox_updated` ON `webhook_outbox` (`updated_at`);