"""Background tasks (Django's tasks API): thin wrappers that take ids and call services."""

from django_tasks import task

from pledgecard.delivery import services


@task()
def send_message(message_id: str) -> dict:
    return dict(services.deliver_one(message_id).outcomes)
