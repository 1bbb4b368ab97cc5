/*
 * The exposition formats' primitives, shared by the statistics families
 * (stats_export.c) and the table per MTA (stats_mta.c): a Prometheus
 * family's head and one sample with its labels escaped, a JSON count and
 * a JSON string. Text that reaches either format is valid UTF-8 whatever
 * path it came by: an octet that is not becomes '?' here, at the writer.
 */
#include "stats_export.h"

#include <stdarg.h>

#include "utf8_text.h"

void
stats_prometheus_escape(GString *out, const char *text)
{
	/* the exposition format is UTF-8: whatever came in, '?' where not */
	g_autofree char *valid = utf8_is_valid(text) ? NULL : utf8_valid_dup(text);

	for (const char *v = valid != NULL ? valid : text; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(out, '\\');
		if (*v == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *v);
	}
}

void
stats_prometheus_head(GString *out, const char *name, const char *type,
		      const char *help)
{
	g_string_append_printf(out, "# HELP esmtp_milter_%s %s\n"
			       "# TYPE esmtp_milter_%s %s\n",
			       name, help, name, type);
}

void
stats_prometheus_sample(GString *out, const char *name, uint64_t value, ...)
{
	const char *k;
	va_list ap;
	bool first = true;

	g_string_append_printf(out, "esmtp_milter_%s", name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		g_string_append(out, first ? "{" : ",");
		g_string_append_printf(out, "%s=\"", k);
		stats_prometheus_escape(out, v);
		g_string_append_c(out, '"');
		first = false;
	}
	va_end(ap);
	g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n",
			       first ? "" : "}", value);
}

void
stats_json_string(JsonBuilder *b, const char *name, const char *v)
{
	g_autofree char *valid = utf8_is_valid(v) ? NULL : utf8_valid_dup(v);

	if (name != NULL)
		json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, valid != NULL ? valid : v);
}

void
stats_json_uint(JsonBuilder *b, const char *name, uint64_t v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, (gint64)MIN(v, (uint64_t)G_MAXINT64));
}
