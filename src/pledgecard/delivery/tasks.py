"""Background tasks (Django's tasks API): thin wrappers that take ids and call the worker's side."""

from django_tasks import task

from pledgecard.delivery import sending


@task()
def send_message(message_id: str) -> dict:
    return dict(sending.deliver_one(message_id).outcomes)
