/*
 * What the fuzzed agents' configurations share (fuzz_agent.h's, for the
 * check and HTTP targets, and fuzz_usage_body.c's): realm
 * visited.example, made and never started, so no broker, admin socket or
 * metrics listener; SHA-256 digests; the clock-related and thread
 * settings. Each caller then sets what differs (more algorithms and
 * realms, limits, the spool). A static function, as fuzz targets are each
 * one .c linked alone.
 */
#ifndef FUZZ_AGENT_CONFIG_H
#define FUZZ_AGENT_CONFIG_H

#include "agent.h"

static void
fuzz_agent_config_base(struct agent_config *config, const char *state_dir)
{
	config->realm = "visited.example";
	config->local_realms[config->nlocal_realms++] = "visited.example";
	config->broker = "ipc:///nonexistent/broker.sock";
	config->broker_ca = config->cert = config->key = "";
	config->listen = "127.0.0.1:0";
	config->metrics_listen = "";
	config->state_dir = state_dir;
	config->admin_socket = "";
	config->algorithms[config->nalgorithms++] = RT_DIGEST_SHA256;
	config->nonce_lifetime = 300;
	config->nonce_rotate = 3600;
	config->auth_timeout_ms = 3000;
	config->retry_after = 5;
	config->date_window = 300;
	config->security_server = "";
	config->max_expires = 3600;
	config->fail_window = 60;
	config->ban_time = 300;
	config->http_threads = 1;
	config->broker_contexts = 1;
	config->log_level = "err";
	config->log_dest = "stderr";
	config->spool = "";
	config->max_call_duration = 14400;
	config->usage_pending_time = 300;
	config->usage_batch = 1000;
}

#endif
