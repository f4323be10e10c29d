CREATE TABLE `run_accounts` (
	`session_id` text NOT NULL,
	`position` integer NOT NULL,
	`account_id` text NOT NULL,
	`username` text NOT NULL,
	`robux` integer NOT NULL,
	`status` text NOT NULL,
	PRIMARY KEY(`session_id`, `position`),
	FOREIGN KEY (`session_id`) REFERENCES `runs`(`session_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `run_accounts_account` ON `run_accounts` (`session_id`,`account_id`);--> statement-breakpoint
CREATE TABLE `run_events` (
	`session_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `seq`),
	FOREIGN KEY (`session_id`) REFERENCES `runs`(`session_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_events_created` ON `run_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `run_lease` (
	`id` integer PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `runs`(`session_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "run_lease_single" CHECK("run_lease"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `run_transactions` (
	`session_id` text NOT NULL,
	`position` integer NOT NULL,
	`invoice_id` text NOT NULL,
	`gamepass_name` text,
	`gamepass_price` integer,
	`status` text NOT NULL,
	`used_account` text,
	`error` text,
	`timestamp` integer NOT NULL,
	PRIMARY KEY(`session_id`, `position`),
	FOREIGN KEY (`session_id`) REFERENCES `runs`(`session_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `run_transactions_invoice` ON `run_transactions` (`session_id`,`invoice_id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`session_id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`current_step` text NOT NULL,
	`triggered_by_account_id` text,
	`triggered_by_account_name` text,
	`total_transactions` integer DEFAULT 0 NOT NULL,
	`processed_count` integer DEFAULT 0 NOT NULL,
	`skipped_count` integer DEFAULT 0 NOT NULL,
	`failed_count` integer DEFAULT 0 NOT NULL,
	`unknown_count` integer DEFAULT 0 NOT NULL,
	`start_time` integer NOT NULL,
	`end_time` integer,
	`error` text,
	`created_at` integer NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "runs_status" CHECK("runs"."status" in ('running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `runs_created` ON `runs` (`created_at`,`session_id`);--> statement-breakpoint
CREATE INDEX `runs_status` ON `runs` (`status`);