/*
 * Inside the config code (core only): the table of config keys, one
 * typed row each, that config_file.c reads values by and config_keys.c
 * writes them back by. Each row's type says how its value is read,
 * checked, stored at offset in esmtp_config and written back; restart
 * marks the keys a reload cannot change.
 */
#ifndef ESMTP_CONFIG_KEYS_H
#define ESMTP_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "config.h"
#include "name_code.h"

typedef enum {
	KEY_TEXT,		/* char *, any text */
	KEY_TEXT_SET,		/* char *, not empty */
	KEY_LISTEN,		/* char *, HOST:PORT or empty */
	KEY_SOCKET,		/* char *, unix:/PATH, inet:PORT@HOST or empty */
	KEY_OCTAL,		/* guint, 0 .. max, in octal */
	KEY_NAME,		/* int, one of names */
	KEY_BOOL,		/* bool */
	KEY_NETWORKS,		/* GArray of net_addr */
	KEY_NUMBER,		/* guint64, 0 .. max */
	KEY_SMALL_NUMBER,	/* guint, 0 .. max */
	KEY_SIZE_LIMIT,		/* [size_limits]: client:, from:, to: keys */
	KEY_ACTION,		/* [actions]: one key per rule token */
} key_type;

typedef struct {
	const char *group;
	const char *key;	/* NULL: any key of the group */
	key_type type;
	size_t offset;
	guint64 max;
	const name_code *names;
	size_t nnames;
	bool restart;		/* in force only after a restart */
} config_key;

/* esmtp-milter.conf(5), in the order config_dump() writes them. */
extern const config_key config_keys[];
extern const size_t config_keys_count;

/* The field a row stores its value in. */
#define CONFIG_AT(c, k, type) ((type *)(void *)((char *)(c) + (k)->offset))

#endif
