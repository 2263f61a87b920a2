"""The notification layer: the one place that turns results and events into Slack.

Services and the sync engine return results and hand `bot.events` events to a `Notify`; the
modules here (called by commands, buttons and jobs) render them with `bot.views` and send them:

- `slack.py`: `slack_notify(client)`, the `Notify` that posts and updates channel messages;
- `sync.py`: `sync_and_notify` (a sync run that tells Slack and refreshes App Home), `after_change`
  (re-export moved shifts on the work pool);
- `home.py`: App Home publishing; `timeoff.py`: replacement DMs; `swaps.py`: the swap messages;
- `reminders.py`, `handover.py`, `job.py`: due shift reminders and handover messages (what is due
  is found by `bot.services.reminders` / `bot.services.handover`);
- `usergroup.py`: the on-call user group's Slack side (`usergroups.*`), over the rows kept by
  `bot.services.oncall_group`.

To add a message: an event in `bot/events.py` (when a lower layer produces it), a builder in
`bot/views/`, its delivery here.
"""
