"""`lms bank ...`."""
import click


@click.group("bank")
def bank_group():
    """Test banks: import and export GIFT and Moodle XML."""
