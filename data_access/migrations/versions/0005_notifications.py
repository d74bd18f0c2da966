"""early warning: rules, channels, warnings (one row per episode) and their deliveries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:02:41.118204

data_access/notify evaluates the rules, opens and clears warnings and delivers them to the
channels (DingTalk, WeCom, e-mail). Two watchers may share a database: the partial unique index
on the open warnings lets only one of them open an episode, and a delivery is claimed before it
is sent. A frozen copy: a migration never imports the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Frozen copies of the models' value lists as of this revision.
NOTIFY_CHANNEL_KINDS = ("dingtalk", "wecom", "email")
WARNING_SEVERITIES = ("red", "orange", "yellow", "blue")
DELIVERY_STATUSES = ("pending", "sent", "failed")


def upgrade() -> None:
    op.create_table('notify_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('thresholds', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_rules')),
    sa.UniqueConstraint('name', name=op.f('uq_notify_rules_name'))
    )
    op.create_table('notify_channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.Column('recipients', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(sa.column('kind').in_(NOTIFY_CHANNEL_KINDS), name=op.f('ck_notify_channels_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_channels')),
    sa.UniqueConstraint('name', name=op.f('uq_notify_channels_name'))
    )
    op.create_table('notify_rule_channels',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['notify_channels.id'],
                            name=op.f('fk_notify_rule_channels_channel_id_notify_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['notify_rules.id'],
                            name=op.f('fk_notify_rule_channels_rule_id_notify_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'channel_id', name=op.f('pk_notify_rule_channels'))
    )
    op.create_table('notify_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('episode', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('village', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('cleared_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('acknowledge_note', sa.Text(), nullable=True),
    sa.CheckConstraint(sa.column('severity').in_(WARNING_SEVERITIES), name=op.f('ck_notify_warnings_severity')),
    sa.ForeignKeyConstraint(['rule_id'], ['notify_rules.id'], name=op.f('fk_notify_warnings_rule_id_notify_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_warnings')),
    sa.UniqueConstraint('rule_id', 'subject', 'episode', name=op.f('uq_notify_warnings_rule_id_subject_episode'))
    )
    with op.batch_alter_table('notify_warnings', schema=None) as batch_op:
        # At most one open episode per rule and subject: what lets only one watcher open it.
        batch_op.create_index('ix_notify_warnings_open', ['rule_id', 'subject'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'),
                              postgresql_where=sa.text('cleared_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_notify_warnings_opened_at'), ['opened_at'], unique=False)
    op.create_table('notify_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('attempted_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint(sa.column('status').in_(DELIVERY_STATUSES), name=op.f('ck_notify_deliveries_status')),
    sa.ForeignKeyConstraint(['channel_id'], ['notify_channels.id'],
                            name=op.f('fk_notify_deliveries_channel_id_notify_channels')),
    sa.ForeignKeyConstraint(['warning_id'], ['notify_warnings.id'],
                            name=op.f('fk_notify_deliveries_warning_id_notify_warnings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_deliveries')),
    sa.UniqueConstraint('warning_id', 'channel_id', name=op.f('uq_notify_deliveries_warning_id_channel_id'))
    )
    with op.batch_alter_table('notify_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_deliveries_channel_id_status'), ['channel_id', 'status'],
                              unique=False)
        # The due deliveries, which every round of every watcher looks for.
        batch_op.create_index('ix_notify_deliveries_due', ['next_attempt_at'], unique=False,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table('notify_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_notify_deliveries_channel_id_status'))
    op.drop_table('notify_deliveries')
    with op.batch_alter_table('notify_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_warnings_opened_at'))
        batch_op.drop_index('ix_notify_warnings_open')
    op.drop_table('notify_warnings')
    op.drop_table('notify_rule_channels')
    op.drop_table('notify_channels')
    op.drop_table('notify_rules')
