CREATE TABLE "guild_progress" (
	"scope" text NOT NULL,
	"item_id" text NOT NULL,
	"title" text NOT NULL,
	"position_ms" integer NOT NULL,
	"duration_ms" integer,
	"watched" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guild_progress_scope_item_id_pk" PRIMARY KEY("scope","item_id")
);
--> statement-breakpoint
ALTER TABLE "play_progress" ADD COLUMN "watched" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "guild_progress_recent_idx" ON "guild_progress" USING btree ("scope","updated_at");