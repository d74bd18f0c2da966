"""Early warning (预警): rules over the records, evaluated by a watcher and pushed to the people on
duty through DingTalk and WeCom group robots and e-mail, once per episode, with acknowledgement.

    conditions.py  the rules' conditions (SQL over the records) and their thresholds
    config.py      the rules and channels as the database holds them
    watcher.py     one round: evaluate, open and clear warnings, claim and send deliveries
    messages.py    what a message says (no personal data), the same for every channel
    channels.py    sending: DingTalk (signed), WeCom, SMTP; errors that name no secret
    warnings.py    what people see and do: open warnings, counts, ticker, deliveries, acknowledge

For a page (each takes the caller's connection; acknowledge inside ``engine.begin()``)::

    df, total = notify.open_warnings(conn)              # worst first; staff and above see it
    notify.acknowledge(conn, account.name, warning_id, note)   # staff and above; audited
    notify.warning_counts(conn); notify.ticker(conn)    # the wall: counts, rules and villages
    notify.deliveries(conn, status="failed")            # what was sent, waits or failed
    notify.delivery_counts(conn, since=…)               # how many of each
    notify.rules_table(conn); notify.set_rule(conn, admin.name, name, enabled=…, thresholds=…, channels=…)
    notify.channels_table(conn)                         # kind and host, never a URL or secret

The command line: ``python -m data_access watch [--once]`` and ``notify …`` (data_access/cli/notify.py).
"""

from .channels import Channel, DeliveryError, InvalidChannel
from .conditions import CONDITIONS, WATCHER_ACCOUNT, InvalidThresholds
from .config import (
    add_channel,
    channels_table,
    ensure_rules,
    get_channel,
    remove_channel,
    rules_table,
    set_rule,
)
from .warnings import (
    AlreadyAcknowledged,
    WarningNotFound,
    acknowledge,
    deliveries,
    delivery_counts,
    open_warnings,
    ticker,
    warning,
    warning_counts,
)
from .watcher import RoundReport, run_round

__all__ = [
    "CONDITIONS", "WATCHER_ACCOUNT",
    "AlreadyAcknowledged", "Channel", "DeliveryError", "InvalidChannel", "InvalidThresholds", "RoundReport",
    "WarningNotFound",
    "acknowledge", "add_channel", "channels_table", "deliveries", "delivery_counts", "ensure_rules",
    "get_channel", "open_warnings", "remove_channel", "rules_table", "run_round", "set_rule", "ticker",
    "warning", "warning_counts",
]  # fmt: skip
