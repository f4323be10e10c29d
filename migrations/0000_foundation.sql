CREATE TABLE `purchase_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`transaction_id` integer NOT NULL,
	`account_id` text,
	`account_username` text NOT NULL,
	`price` integer NOT NULL,
	`outcome` text DEFAULT 'pending' NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`transaction_id`) REFERENCES `transactions`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `stock_accounts`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "purchase_attempts_outcome" CHECK("purchase_attempts"."outcome" in ('pending', 'completed', 'failed', 'unknown'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `purchase_attempts_idempotency_key_unique` ON `purchase_attempts` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `purchase_attempts_transaction` ON `purchase_attempts` (`transaction_id`);--> statement-breakpoint
CREATE INDEX `purchase_attempts_account` ON `purchase_attempts` (`account_id`);--> statement-breakpoint
CREATE TABLE `stock_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`username` text NOT NULL,
	`display_name` text NOT NULL,
	`robux` integer NOT NULL,
	`status` text NOT NULL,
	`credential_enc` text NOT NULL,
	`last_checked` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "stock_accounts_robux_non_negative" CHECK("stock_accounts"."robux" >= 0),
	CONSTRAINT "stock_accounts_status" CHECK("stock_accounts"."status" in ('active', 'inactive', 'invalid'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stock_accounts_user_id_unique` ON `stock_accounts` (`user_id`);--> statement-breakpoint
CREATE TABLE `transactions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`invoice_id` text NOT NULL,
	`gamepass_id` integer,
	`gamepass_name` text,
	`gamepass_price` integer,
	`gamepass_seller_id` integer,
	`status` text DEFAULT 'pending' NOT NULL,
	`used_account_id` text,
	`used_account` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	CONSTRAINT "transactions_status" CHECK("transactions"."status" in ('pending', 'processing', 'completed', 'failed', 'unknown')),
	CONSTRAINT "transactions_price_positive" CHECK("transactions"."gamepass_price" is null or "transactions"."gamepass_price" > 0),
	CONSTRAINT "transactions_attempts_non_negative" CHECK("transactions"."attempts" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_invoice_id_unique` ON `transactions` (`invoice_id`);--> statement-breakpoint
CREATE INDEX `transactions_status_id` ON `transactions` (`status`,`id`);