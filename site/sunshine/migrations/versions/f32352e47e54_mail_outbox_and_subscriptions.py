"""mail outbox and subscriptions

The mail outbox and its bounces, and the subscriptions of addresses without an account, their
hashed link tokens and their daily digests (sunshine.notify).

Revision ID: f32352e47e54
Revises: 8c1d2e3f4a5b
Create Date: 2026-12-05 00:48:12.904784

"""
import sqlalchemy as sa
from alembic import op

from sunshine.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'f32352e47e54'
down_revision = '8c1d2e3f4a5b'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'notify_subscriber',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_subscriber')),
        sa.UniqueConstraint('address', name=op.f('uq_notify_subscriber_address')),
    )
    op.create_table(
        'notify_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('mode', _enum('mode', 'immediate', 'daily'), nullable=False),
        sa.Column('state', _enum('substate', 'pending', 'active', 'ended'), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_at', UTCDateTime(timezone=True), nullable=True),
        _fk('notify_subscription', 'subscriber_id', 'notify_subscriber'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_subscription')),
        sa.UniqueConstraint('subscriber_id', 'topic', 'key',
                            name='uq_notify_subscription_topic'),
    )
    op.create_index(op.f('ix_notify_subscription_subscriber_id'), 'notify_subscription',
                    ['subscriber_id'])
    op.create_index('ix_notify_subscription_topic_key', 'notify_subscription', ['topic', 'key'])
    op.create_table(
        'mail_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=True),
        sa.Column('subscription_id', sa.Integer(), nullable=True),
        sa.Column('token_purpose', sa.String(length=16), nullable=True),
        sa.Column('token_ref', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('state', _enum('state', 'queued', 'sending', 'sent', 'failed', 'bounced',
                                 'suppressed'), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('due_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=False),
        _fk('mail_message', 'subscriber_id', 'notify_subscriber'),
        _fk('mail_message', 'subscription_id', 'notify_subscription'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message')),
        sa.UniqueConstraint('message_id', name=op.f('uq_mail_message_message_id')),
    )
    op.create_index('ix_mail_message_recipient_sent', 'mail_message', ['recipient', 'sent_at'])
    op.create_index('ix_mail_message_state_due', 'mail_message', ['state', 'due_at'])
    op.create_table(
        'mail_bounce',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        _fk('mail_bounce', 'message_id', 'mail_message'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_bounce')),
    )
    op.create_index(op.f('ix_mail_bounce_recipient'), 'mail_bounce', ['recipient'])
    op.create_table(
        'notify_digest_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('link', sa.String(length=300), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        _fk('notify_digest_item', 'subscription_id', 'notify_subscription'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_digest_item')),
    )
    op.create_index(op.f('ix_notify_digest_item_subscription_id'), 'notify_digest_item',
                    ['subscription_id'])
    op.create_table(
        'notify_token',
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=True),
        sa.Column('subscription_id', sa.Integer(), nullable=True),
        sa.Column('ref', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        _fk('notify_token', 'subscriber_id', 'notify_subscriber'),
        _fk('notify_token', 'subscription_id', 'notify_subscription'),
        sa.PrimaryKeyConstraint('hash', name=op.f('pk_notify_token')),
    )
    op.create_index(op.f('ix_notify_token_subscriber_id'), 'notify_token', ['subscriber_id'])


def downgrade():
    op.drop_table('notify_token')
    op.drop_table('notify_digest_item')
    op.drop_table('mail_bounce')
    op.drop_table('mail_message')
    op.drop_table('notify_subscription')
    op.drop_table('notify_subscriber')
