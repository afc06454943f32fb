CREATE TABLE "rooms" (
	"room_id" text PRIMARY KEY NOT NULL,
	"epoch" text NOT NULL,
	"seq" integer NOT NULL,
	"state" jsonb NOT NULL,
	"saved_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rooms_saved_at_idx" ON "rooms" USING btree ("saved_at");