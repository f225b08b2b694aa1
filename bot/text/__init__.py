"""Text that reaches Slack: escaped mrkdwn and the Jinja2 environments for prose."""
