CREATE TABLE "plex_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"plex_uuid" text NOT NULL,
	"username" text NOT NULL,
	"encrypted_token" text NOT NULL,
	"token_kind" text NOT NULL,
	"token_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plex_accounts_plex_uuid_unique" UNIQUE("plex_uuid")
);
--> statement-breakpoint
CREATE TABLE "plex_device_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"encrypted_private_key" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "plex_servers" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "plex_servers" ADD COLUMN "owned" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "plex_servers" ADD CONSTRAINT "plex_servers_account_id_plex_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."plex_accounts"("id") ON DELETE set null ON UPDATE no action;