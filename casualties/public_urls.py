from django.urls import path

from casualties import views

app_name = "casualties"

urlpatterns = [
    path("", views.home, name="home"),
]
